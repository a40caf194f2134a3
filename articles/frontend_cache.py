"""Purging HTTP caches in front of the site (Varnish, a CDN) when what is public changes.

Public pages and assets say ``Cache-Control: public, max-age=…``, so a proxy would keep a withdrawn
article until that runs out. Every public response therefore carries a ``Surrogate-Key`` header
(space-separated tags, as Fastly and Varnish's xkey read it):

- ``embargo``: every public response (purged when no article is named: "everything");
- ``article:<slug>``: an article's page and its assets;
- ``listings``: every page that lists articles (home, tags, feeds, sitemap, search…) — any change
  of what is public may add an article to one or take one away, so every change purges them all.

A change of what is public (``caching.purge_public_pages``, called in the change's transaction)
enqueues ``purge_http_cache`` with the keys concerned. The task is a row in the same database
(django-tasks-db), so it commits with the change or not at all: the outbox is durable. A purge that
fails is retried with back-off by enqueueing the next attempt before failing.

A backend is any class with ``__init__(url: str)`` and ``purge(keys: Sequence[str]) -> None``
(raising on failure), named by ``settings.EMBARGO_HTTP_CACHE_PURGE_BACKEND``. ``VarnishPurge`` is
the tested one: one ``BAN`` per key, which deploy/varnish/embargo.vcl turns into a ban on the
objects whose ``Surrogate-Key`` holds that key. A CDN backend calls its purge-by-tag API instead
(Fastly: ``POST /service/<id>/purge`` with ``Surrogate-Key``; Cloudflare: ``purge_cache`` with
``tags``; the tags are these keys).
"""

import logging
import re
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("embargo.health")

SURROGATE_KEY_HEADER = "Surrogate-Key"
ALL_KEY = "embargo"
LISTINGS_KEY = "listings"
# Views whose response shows one article (its page, its files); every other public page lists.
SINGLE_ARTICLE_VIEWS = frozenset({"article", "asset"})
MAX_ATTEMPTS = 10
TIMEOUT_SECONDS = 5


class PurgeFailed(Exception):
    """The HTTP cache did not confirm the purge; the task is retried."""


def article_key(slug: str) -> str:
    return f"article:{slug}"


def surrogate_keys(request, showing: Iterable) -> str:
    """The ``Surrogate-Key`` value of a public response (see the module docstring)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in SINGLE_ARTICLE_VIEWS:
        return " ".join([ALL_KEY, *(article_key(article.slug) for article in showing)])
    return f"{ALL_KEY} {LISTINGS_KEY}"


def purge_keys(slugs: Sequence[str]) -> list[str]:
    """What a change to ``slugs`` (none: everything) must purge."""
    if not slugs:
        return [ALL_KEY]
    return [*(article_key(slug) for slug in slugs), LISTINGS_KEY]


def enqueue_purge(slugs: Sequence[str]) -> None:
    """Put a purge in the outbox, in the caller's transaction; nothing when no purge URL is set."""
    if settings.EMBARGO_HTTP_CACHE_PURGE_URL:
        purge_http_cache.enqueue(keys=purge_keys(slugs))


class VarnishPurge:
    """``BAN`` each key at the Varnish the URL names (deploy/varnish/embargo.vcl answers them)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def purge(self, keys: Sequence[str]) -> None:
        for key in keys:
            request = urllib.request.Request(  # noqa: S310 - settings accept http(s) only
                self.url,
                method="BAN",
                headers={"X-Embargo-Ban-Key": re.escape(key)},
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    status = response.status
            except OSError as error:  # URLError, HTTPError, timeouts: all are "not purged"
                raise PurgeFailed(f"BAN {key!r} at {self.url}: {error}") from error
            if status != 200:
                raise PurgeFailed(f"BAN {key!r} at {self.url} answered {status}")


def backend():
    return import_string(settings.EMBARGO_HTTP_CACHE_PURGE_BACKEND)(
        settings.EMBARGO_HTTP_CACHE_PURGE_URL
    )


def retry_delay(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … at most an hour."""
    return timedelta(seconds=min(5 * 2**attempt, 3600))


@task()
def purge_http_cache(*, keys: list[str], attempt: int = 0) -> list[str]:
    """Purge ``keys`` from the HTTP cache in front; on failure, enqueue the next attempt and fail."""
    if not settings.EMBARGO_HTTP_CACHE_PURGE_URL:
        return []
    try:
        backend().purge(keys)
    except Exception as error:
        if attempt + 1 < MAX_ATTEMPTS:
            run_after = timezone.now() + retry_delay(attempt)
            purge_http_cache.using(run_after=run_after).enqueue(keys=keys, attempt=attempt + 1)
            logger.warning(
                "HTTP cache purge failed; retrying",
                extra={"component": "http-cache", "error": repr(error), "retry_at": str(run_after)},
            )
        else:
            logger.error(
                "HTTP cache purge failed for good: purge by hand (manage.py purge_cache)",
                extra={"component": "http-cache", "error": repr(error), "keys": keys},
            )
        raise
    return keys
