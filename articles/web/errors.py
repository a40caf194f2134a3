"""Error pages that reveal nothing: the same bytes whatever was asked for, by whom, or why."""

from django.contrib import admin
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.urls import get_script_prefix
from django.utils import translation

from articles.web.security_log import read_denied

# An error page is rendered without the request, so its bytes depend only on the template, the
# language and the URL prefix: rendered once per process for each, every denial after the first
# costs no template work (hidden and missing alike, and the exposure audit's many probes).
_rendered_pages: dict[tuple[str, str | None, str], str] = {}


def _page(template_name: str) -> str:
    key = (template_name, translation.get_language(), get_script_prefix())
    if key not in _rendered_pages:
        _rendered_pages[key] = loader.render_to_string(template_name)
    return _rendered_pages[key]


@receiver(setting_changed)
def forget_rendered_pages(**kwargs) -> None:
    """Render the pages again after a settings change (a test's ``STATIC_URL``, templates …)."""
    _rendered_pages.clear()


def not_found(request, exception=None):
    # Every 404 is logged the same way, so the log (like the response) cannot tell hidden from absent.
    read_denied(request)
    return HttpResponseNotFound(_page("404.html"))


def forbidden(request, exception=None):
    """A page that says what to do, in the admin's dress for staff pages; never the refusal's own
    text (a message written for one page could name something on another)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.app_name == "admin" and getattr(request.user, "is_staff", False):
        body = loader.render_to_string("admin/403.html", admin.site.each_context(request), request)
    else:
        body = _page("403.html")
    return HttpResponseForbidden(body)


def server_error(request):
    return HttpResponseServerError(loader.render_to_string("500.html"))
