"""Error pages that reveal nothing: the same bytes whatever was asked for, by whom, or why."""

from django.contrib import admin
from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

from articles.web.security_log import read_denied


def not_found(request, exception=None):
    # Every 404 is logged the same way, so the log (like the response) cannot tell hidden from absent.
    read_denied(request)
    return HttpResponseNotFound(loader.render_to_string("404.html"))


def forbidden(request, exception=None):
    """A page that says what to do, in the admin's dress for staff pages; never the refusal's own
    text (a message written for one page could name something on another)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.app_name == "admin" and getattr(request.user, "is_staff", False):
        body = loader.render_to_string("admin/403.html", admin.site.each_context(request), request)
    else:
        body = loader.render_to_string("403.html")
    return HttpResponseForbidden(body)


def server_error(request):
    return HttpResponseServerError(loader.render_to_string("500.html"))
