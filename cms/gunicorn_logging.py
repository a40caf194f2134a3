"""gunicorn's access log without what must not reach a log sink: paths, query strings, timings.

A path names what was asked for: a draft's slug, an asset's token and original file name, a share
token (a credential). A 404 line beside the security log's ``read_denied`` line (same second, same
process) would map its keyed ``ref`` back to the slug. So a request is logged by the name of the
route it resolved to (``article``, ``asset``, ``preview-asset``, ``admin:index``), never by its
path: an allow-list by construction, which a new door cannot escape. A query string can carry
anything a reader typed; headers and the WSGI environ repeat the URL, cookies and referrers. The
request's duration is not logged either: a hidden object must cost what a missing one costs, and a
per-request timing next to each 404 is the side channel ``audit_exposure`` measures.
"""

from django.conf import settings
from django.urls import Resolver404, resolve
from gunicorn.glogging import Logger

UNROUTED = "unrouted"  # the security log's name for a path no route matches
DURATIONS = ("T", "D", "M", "L")


def loggable_path(path: str) -> str:
    """The route name ``path`` resolves to (``static`` under STATIC_URL), never the path itself."""
    static_url = settings.STATIC_URL or ""
    if static_url.startswith("/") and path.startswith(static_url):
        return "static"
    try:
        match = resolve(path)
    except (Resolver404, ValueError, UnicodeError):
        return UNROUTED
    return match.view_name or UNROUTED


class AccessLogWithoutSecrets(Logger):
    """The standard gunicorn logger whose atoms hold no path part, query, header or duration."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        route = loggable_path(environ.get("PATH_INFO", ""))
        atoms["U"] = route
        atoms["q"] = "-"
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {route} {environ.get('SERVER_PROTOCOL')}"
        atoms["f"] = "-"
        for key in DURATIONS:
            atoms[key] = "-"
        # Request and response headers ({...}i, {...}o: Referer, Cookie, Location) and the WSGI
        # environ ({...}e: RAW_URI, PATH_INFO, QUERY_STRING) repeat what is redacted above. A
        # format naming one gets gunicorn's "-" for a missing atom.
        for key in [key for key in atoms if key.startswith("{")]:
            del atoms[key]
        return atoms
