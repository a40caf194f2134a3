"""How the audit asks: Django's test client in-process, or real HTTP to a running deployment.

Both answer with a ``Response`` holding everything a probe compares: status, body, headers and
their order, the cookies set or deleted, and (in-process) the database queries the answer took.
"""

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import Client


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    # Header names in the order sent (lower case, Set-Cookie apart), and each cookie set or deleted.
    header_names: tuple[str, ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    # Database queries the answer took (in-process only; None over HTTP).
    queries: int | None = None


Fetch = Callable[[str, str, dict], Response]


def audit_host() -> str:
    """A host name the site accepts, for in-process requests."""
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


class InProcessFetcher:
    """Anonymous requests through Django's test client: no server, no network."""

    def __init__(self):
        self.client = Client(raise_request_exception=False, HTTP_HOST=audit_host())

    def __call__(self, method: str, path: str, headers: dict) -> Response:
        # Every request is a first visit: no cookie a previous answer set is sent back.
        self.client.cookies.clear()
        queries: list[str] = []

        def counted(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        # secure=True: the audit sees what an HTTPS visitor sees, without SSL redirects.
        with connection.execute_wrapper(counted):
            response = self.client.generic(method, path, secure=True, headers=headers)
        try:
            body = b"".join(response.streaming_content) if response.streaming else response.content
        finally:
            # Closing fires request_finished, whose close_old_connections would drop the caller's
            # connection (and its transaction); the test client guards its own closes the same way.
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        cookies = tuple(
            (name, "deleted" if morsel["max-age"] == 0 or not morsel.value else "set")
            for name, morsel in response.cookies.items()
        )
        return Response(
            response.status_code,
            body,
            {k.lower(): v for k, v in response.items()},
            header_names=tuple(k.lower() for k, _ in response.items()),
            cookies=cookies,
            queries=len(queries),
        )


class BadBaseURL(ValueError):
    """The --base-url is not an http(s) URL."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpFetcher:
    """Anonymous requests over real HTTP to a running deployment (redirects are not followed)."""

    def __init__(self, base_url: str, timeout: float = 30):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadBaseURL(f"“{base_url}” is not an http(s) URL.")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.opener = urllib.request.build_opener(_NoRedirects)
        self.timeout = timeout

    def __call__(self, method: str, path: str, headers: dict) -> Response:
        request = urllib.request.Request(self.base + path, method=method, headers=headers)  # noqa: S310  (scheme checked in __init__)
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return _http_response(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as answer:
            return _http_response(answer.code, answer.read(), answer.headers)


def _http_response(status: int, body: bytes, headers) -> Response:
    cookies = []
    for line in headers.get_all("Set-Cookie") or []:
        morsel = SimpleCookie(line)
        for name, value in morsel.items():
            deleted = value["max-age"] == "0" or not value.value or "1970" in value["expires"]
            cookies.append((name, "deleted" if deleted else "set"))
    names = tuple(name.lower() for name in headers if name.lower() != "set-cookie")
    return Response(
        status,
        body,
        {name.lower(): value for name, value in headers.items()},
        header_names=names,
        cookies=tuple(cookies),
    )
