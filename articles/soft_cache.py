"""The page cache fails soft: an unreachable cache means uncached pages, never an error page.

Every page-cache read and write goes through ``cache_get``/``cache_get_many``/``cache_set``, and the API's rate limits
and token lock-out through ``cache_call``/``cache_incr`` (unlimited while the cache is down). When the cache backend
raises (Redis stopped, paused past its socket timeout, refusing connections) the request is served
from the database as if nothing were cached — fresh, because the database is the truth, and never a
private response, because only the public path ever reaches the cache. The cache is then left alone
for ``RETRY_AFTER`` seconds, so an outage costs one timeout per process per interval rather than
one per request, and is tried again after that: it recovers by itself. Going down and coming back
are each logged once, not once per request.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.signals import setting_changed

logger = logging.getLogger("embargo.health")

# Seconds the page cache is bypassed after a failure before it is tried again.
RETRY_AFTER = 5.0

_lock = threading.Lock()
# Called when the cache answers again after failing (``on_recovery``): the page cache then stops
# trusting what the cache held from before the outage.
_recovery_hooks: list[Callable[[], object]] = []
_recoveries = 0  # how many times this process saw the cache come back
_down_since: float | None = None  # monotonic time of the failure that opened the breaker
_retry_at = 0.0


def cache_available() -> bool:
    """False while the breaker is open (a recent failure); the caller then skips the cache."""
    return _down_since is None or time.monotonic() >= _retry_at


def _failed(operation: str, error: Exception) -> None:
    global _down_since, _retry_at
    with _lock:
        first = _down_since is None
        now = time.monotonic()
        if first:
            _down_since = now
        _retry_at = now + RETRY_AFTER
    if first:
        logger.warning(
            "page cache unavailable: serving uncached pages",
            extra={"component": "cache", "operation": operation, "error": repr(error)},
        )


def on_recovery(hook: Callable[[], object]) -> None:
    """Have ``hook`` run whenever this process finds the cache answering again after a failure
    (what it returns is ignored)."""
    _recovery_hooks.append(hook)


def recoveries() -> int:
    """How many times the cache came back in this process: a value read across one changed is
    from before the outage."""
    return _recoveries


def _succeeded() -> None:
    global _down_since, _recoveries
    if _down_since is None:
        return
    with _lock:
        if _down_since is None:  # another thread saw the recovery first
            return
        down_for, _down_since = time.monotonic() - _down_since, None
        _recoveries += 1
    logger.warning(
        "page cache available again", extra={"component": "cache", "down_seconds": round(down_for)}
    )
    for hook in _recovery_hooks:
        hook()


def cache_call[T](operation: str, call: Callable[[], T], fallback: T) -> T:
    """``call()``'s answer, or ``fallback`` when the cache cannot be reached (the breaker then
    opens for ``RETRY_AFTER`` seconds)."""
    if not cache_available():
        return fallback
    try:
        answer = call()
    except Exception as error:  # any backend failure is the cache being down
        _failed(operation, error)
        return fallback
    _succeeded()
    return answer


def _store(using: str):
    return cache if using == DEFAULT_CACHE_ALIAS else caches[using]


def cache_get(key: str, *, using: str = DEFAULT_CACHE_ALIAS) -> Any:
    """The cached value, or None when it is missing or the cache cannot be reached."""
    return cache_call("get", lambda: _store(using).get(key), None)


def cache_get_many(keys: list[str]) -> dict[str, Any]:
    """The cached values of ``keys`` that hold one, in one round trip; {} if unreachable."""
    return cache_call("get_many", lambda: cache.get_many(keys), {})


def cache_add(key: str, value: Any, *, timeout: int | None = None) -> bool:
    """Store ``value`` unless ``key`` holds one; False if it did or the cache cannot be reached."""
    return cache_call("add", lambda: cache.add(key, value, timeout=timeout), False)


def cache_set(key: str, value: Any, *, timeout: int | None) -> bool:
    """Store ``value`` if the cache can be reached (True); otherwise the page stays uncached."""

    def store() -> bool:
        cache.set(key, value, timeout=timeout)
        return True

    return cache_call("set", store, False)


def cache_incr(key: str, *, timeout: int, using: str = DEFAULT_CACHE_ALIAS) -> int | None:
    """Count one more at ``key`` (a new count lives ``timeout`` seconds); None if unreachable."""

    def count() -> int:
        store = _store(using)
        store.add(key, 0, timeout=timeout)
        try:
            return store.incr(key)
        except ValueError:  # the count expired between add and incr: this one starts the next
            store.set(key, 1, timeout=timeout)
            return 1

    return cache_call("incr", count, None)


def reset() -> None:
    """Close the breaker (tests, and a settings change that names another cache)."""
    global _down_since, _retry_at
    with _lock:
        _down_since, _retry_at = None, 0.0


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="embargo-soft-cache-reset")
