"""Where a webhook may be sent: a public address, unless the operator allowed a network for it.

A webhook URL is typed by staff and fetched by the server, so without this it could reach what only
the server reaches: the cloud metadata address (169.254.169.254), the database, Redis, an admin
port on localhost. The host is resolved once, every address it resolves to is checked, and the
delivery connects to the checked address itself (the name still goes in the Host header and, over
HTTPS, in SNI and the certificate check), so a name that resolves elsewhere a second later (DNS
rebinding) changes nothing. Redirects are never followed: a 3xx is a failed try like any other.

``EMBARGO_WEBHOOK_ALLOWED_NETWORKS`` (read once in settings) lists the networks an operator's
internal receivers live in; nothing else inside is reachable.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeDestination(ValueError):
    """The URL may not be sent to; the message says why, in words for the person who typed it."""


class Unresolvable(UnsafeDestination):
    """The host has no address (yet): nothing is sent, and nothing can be checked."""


@dataclass(frozen=True)
class Destination:
    """A webhook URL resolved and checked: connect to ``address``, name ``host``."""

    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query, what the request line asks for


def _kind(address: Address) -> str | None:
    """Why ``address`` is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    for kind, inside in (
        ("loopback", address.is_loopback),
        ("link-local (the cloud metadata service lives there)", address.is_link_local),
        # fec0::/10: deprecated (RFC 3879) but still a site's own addressing; Python calls it global.
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if inside:
            return kind
    # Shared (100.64.0.0/10), documentation and benchmarking ranges are not on the internet either.
    return None if address.is_global else "not globally routable"


def _allowed(address: Address) -> bool:
    return any(address in network for network in settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS)


def address_problem(address: Address) -> str | None:
    """Why a delivery must not connect to ``address``, or None."""
    kind = _kind(address)
    return None if kind is None or _allowed(address) else kind


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"“{host}” cannot be resolved ({error}).") from None
    # A scoped IPv6 address ("fe80::1%eth0") carries its zone after the %.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UnsafeDestination("Use an http(s) URL with a host name or address.")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise UnsafeDestination("The URL's port is not a number from 1 to 65535.") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def destination(url: str) -> Destination:
    """``url`` resolved, with every address checked; raises UnsafeDestination if one is inside."""
    scheme, host, port, target = _split(url)
    addresses = _resolve(host, port)
    for address in addresses:
        if problem := address_problem(address):
            shown = host if host == str(address) else f"{host} ({address})"
            raise UnsafeDestination(
                f"{shown} is a {problem} address, not a public one: webhooks are sent only to "
                "the internet, unless EMBARGO_WEBHOOK_ALLOWED_NETWORKS allows its network."
            )
    return Destination(scheme, host, port, str(addresses[0]), target)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``address`` only, whatever ``host`` resolves to now (Host: is still the name)."""

    def __init__(self, where: Destination, timeout: float):
        super().__init__(where.host, where.port, timeout=timeout)
        self.address = where.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` only; SNI and the certificate are checked against the name."""

    def __init__(self, where: Destination, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(where.host, where.port, timeout=timeout, context=self.tls)
        self.address = where.address

    def connect(self):
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url``'s checked address; the status (a 3xx is not followed).

    Raises UnsafeDestination for a URL that may not be sent to, OSError for a network failure."""
    where = destination(url)
    pinned = _PinnedHTTPSConnection if where.scheme == "https" else _PinnedHTTPConnection
    connection = pinned(where, timeout)
    try:
        connection.request("POST", where.target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
