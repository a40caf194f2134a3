"""gunicorn's access log without what must not reach a log sink: query strings and share tokens.

A query string can carry anything a reader typed (a search for an unreleased name); a share link's
path carries its token, which is a credential. Each request is logged by method, path and status.
"""

import re

from gunicorn.glogging import Logger

SHARE_TOKEN = re.compile(r"^/preview/[^/]+")


def loggable_path(path: str) -> str:
    """``path`` with a share token replaced by ``…`` (the same redaction as the audit trail)."""
    return SHARE_TOKEN.sub("/preview/…", path)


class AccessLogWithoutSecrets(Logger):
    """The standard gunicorn logger whose request atoms never hold a query string or share token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = loggable_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["q"] = "-"
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        # A Referer is another page's URL, query string and all; the WSGI environ atoms ({...}e)
        # repeat the raw URI, path and query string.
        atoms["f"] = "-"
        for key in atoms:
            if key.endswith("}e") or key == "{referer}i":
                atoms[key] = "-"
        return atoms
