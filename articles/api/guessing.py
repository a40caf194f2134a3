"""Token guessing: refused credentials are counted per client address, and past the limit every
request from that address that carries a credential gets the same 429 until the window that its
first refusal started has passed (as django-axes pauses password guessing).

The count is read before any token is looked up, so a locked-out address costs no query and learns
nothing, not even whether a token is right; the public (no credential) is never refused here. A
valid token adds one cache read and is never counted. The address is the sign-in lock-out's
(``client_address``): the trusted proxy's word behind one, the connection's otherwise.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled

from articles.web.client_address import client_address


def _key(request: HttpRequest) -> str:
    return f"embargo-api-refused:{client_address(request)}"


def refuse_if_locked_out(request: HttpRequest) -> None:
    """Raise ninja's 429 when ``request``'s address has had too many credentials refused."""
    if cache.get(_key(request), 0) >= settings.EMBARGO_API_AUTH_FAILURE_LIMIT:
        raise Throttled(wait=None)


def refusal_count(request: HttpRequest) -> None:
    """Count one refused credential against ``request``'s address."""
    key = _key(request)
    window = int(settings.EMBARGO_API_AUTH_FAILURE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:
        # The window ended between add and incr: this refusal starts the next one.
        cache.set(key, 1, timeout=window)
