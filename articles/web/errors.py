"""Error pages that reveal nothing: the same bytes whatever was asked for, by whom, or why."""

from django.http import HttpResponseNotFound, HttpResponseServerError
from django.template import loader

from articles.web.security_log import read_denied


def not_found(request, exception=None):
    # Every 404 is logged the same way, so the log (like the response) cannot tell hidden from absent.
    read_denied(request)
    return HttpResponseNotFound(loader.render_to_string("404.html"))


def server_error(request):
    return HttpResponseServerError(loader.render_to_string("500.html"))
