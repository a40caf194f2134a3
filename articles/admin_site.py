"""The default admin site, minus one door: Django's "view on site" redirect for any object id.

``/admin/r/<content-type>/<id>/`` redirects any staff member to the object's URL, whether or not they may
see the object, so it would name the slug of every draft. Here the redirect is answered through the
model's own admin (its queryset and view permission), and everything else is the one 404. And every
ModelAdmin registered here refuses its history page before looking the object up (RefusedBeforeLookup).

This module is imported while the app registry is still loading, so it imports no models at the top.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views.decorators.common import no_append_slash


class RefusedBeforeLookup:
    """Django's history page looks the object up before it checks permission, so its "does not
    exist" redirect would tell a staff member without rights on a model which ids exist (403 for
    one that does): refuse them before looking, as the change and delete pages already do."""

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


class EmbargoAdminSite(admin.AdminSite):
    site_header = "Embargo"
    site_title = "Embargo"
    index_title = "Newsroom"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, ours and the other apps' (axes, tasks), refuses before it looks up."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, RefusedBeforeLookup):  # not a class registered here before
            admin_class = type(
                admin_class.__name__,
                (RefusedBeforeLookup, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        guarded = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [guarded, *urls]

    @no_append_slash  # as Django's own: the catch-all never claims an address with a slash added
    def catch_all_view(self, request, url):
        """The 404 for an unknown address, after the same permission lookup a page refusing the
        person makes (the Exposure page asks before its 404), so the two are the same work."""
        request.user.get_all_permissions()
        return super().catch_all_view(request, url)

    def view_on_site(self, request, content_type_id: str, object_id: str):
        """Redirect to an object's page only for someone its admin shows it to."""
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        from articles.access import deny

        content_type = (
            ContentType.objects.filter(pk=content_type_id).first()
            if content_type_id.isdigit()
            else None
        )
        model = content_type.model_class() if content_type else None
        model_admin = self._registry.get(model) if model else None
        if model_admin is None:
            raise deny()
        obj = model_admin.get_object(request, object_id)
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise deny()
        return shortcut(request, content_type_id, object_id)


class EmbargoAdminConfig(AdminConfig):
    default_site = "articles.admin_site.EmbargoAdminSite"
