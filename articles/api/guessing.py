"""Token guessing: refused credentials are counted per client address, and past the limit every
request from that address that carries a credential gets the same 429 until the window that its
first refusal started has passed (as django-axes pauses password guessing).

The count is read before any token is looked up, so a locked-out address costs no query and learns
nothing, not even whether a token is right; the public (no credential) is never refused here. A
valid token adds one cache read and is never counted. The count fails soft, as the page cache does
(``soft_cache``): while the cache is unreachable nothing is counted or refused, so an outage of
Redis costs the API its lock-out, not its answers. The address is the sign-in lock-out's
(``client_address``): the trusted proxy's word behind one, the connection's otherwise.
"""

import ipaddress

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.http import HttpRequest
from ninja.errors import Throttled

from articles.soft_cache import cache_get, cache_incr
from articles.web.client_address import client_address

# The counts' own cache when the settings give one (the embedded default: local memory apart from
# the page cache, which any outsider fills with pages under new query strings, and a full local
# memory cache culls its least used entries: a guesser's own count among them).
GUESSING_CACHE = "api-guessing"
# One IPv6 subscriber is given a /64 at least: counted per address, each of its 2**64 would
# start a fresh count.
IPV6_PREFIX = 64


def _cache() -> str:
    return GUESSING_CACHE if GUESSING_CACHE in settings.CACHES else DEFAULT_CACHE_ALIAS


def _counted(address: str | None) -> str | None:
    """The unit counted: an IPv4 address (mapped or not), or the /64 an IPv6 address is in."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:  # no address (a Unix socket): counted as it came
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def _key(request: HttpRequest) -> str:
    return f"embargo-api-refused:{_counted(client_address(request))}"


def refuse_if_locked_out(request: HttpRequest) -> None:
    """Raise ninja's 429 when ``request``'s address has had too many credentials refused."""
    if (cache_get(_key(request), using=_cache()) or 0) >= settings.EMBARGO_API_AUTH_FAILURE_LIMIT:
        raise Throttled(wait=None)


def refusal_count(request: HttpRequest) -> None:
    """Count one refused credential against ``request``'s address."""
    window = int(settings.EMBARGO_API_AUTH_FAILURE_WINDOW.total_seconds())
    cache_incr(_key(request), timeout=window, using=_cache())
