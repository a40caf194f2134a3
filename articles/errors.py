"""Error pages that reveal nothing: the same bytes whatever was asked for, by whom, or why."""

from django.http import HttpResponseNotFound, HttpResponseServerError
from django.template import loader


def not_found(request, exception=None):
    return HttpResponseNotFound(loader.render_to_string("404.html"))


def server_error(request):
    return HttpResponseServerError(loader.render_to_string("500.html"))
