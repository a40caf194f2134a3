"""Every URL here is a door: each has a row in tests/test_leaks.py, enforced by a resolver walk."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from articles.api.views import api

handler403 = "articles.web.errors.forbidden"
handler404 = "articles.web.errors.not_found"
handler500 = "articles.web.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("api/v1/", api.urls),
    path("", include("articles.web.urls")),
]
