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

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled

from articles.soft_cache import cache_get, cache_incr
from articles.web.client_address import client_address


def _key(request: HttpRequest) -> str:
    return f"embargo-api-refused:{client_address(request)}"


def refuse_if_locked_out(request: HttpRequest) -> None:
    """Raise ninja's 429 when ``request``'s address has had too many credentials refused."""
    if (cache_get(_key(request)) or 0) >= settings.EMBARGO_API_AUTH_FAILURE_LIMIT:
        raise Throttled(wait=None)


def refusal_count(request: HttpRequest) -> None:
    """Count one refused credential against ``request``'s address."""
    window = int(settings.EMBARGO_API_AUTH_FAILURE_WINDOW.total_seconds())
    cache_incr(_key(request), timeout=window)
