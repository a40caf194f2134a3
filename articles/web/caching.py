"""HTTP caching by visibility: public responses are cacheable and purgeable, everything else is not.

The page cache stores every entry with the *generation* read when the request started, and serves
it only under that generation; every change of what is public replaces it, which drops every cached
public page at once. A page rendered by a request that raced a change is stored under the
generation it started with, which nobody reads under again.

Where the generation lives depends on who shares the cache (``settings.EMBARGO_GENERATION_IN_CACHE``):

- With a cache every process shares (Redis), the generation is a random token kept in the cache
  itself, so a cache hit runs no SQL. A change replaces the token in its transaction and again
  once it has committed (a request between the two may have stored what it read before the commit
  under the first). A token is never reused, so no ordering of writers, readers and refills can
  bring an old page back. If the cache
  cannot be told (down, paused), the process that failed, like every process that saw the cache
  fail, replaces the token when the cache answers again (``soft_cache`` recovery), and a change
  that could not tell it leaves the task worker a durable, retried replacement: pages stored
  before an outage are not trusted after it. A flushed cache loses pages and token together.
- With a cache of each process's own (the embedded default, local memory), the token is the
  database counter (``PageCacheGeneration``), bumped in the change's own transaction: one
  primary-key read per request, and a change made by any process reaches every other.

The database counter is bumped in both cases, in the change's transaction, with its audit event.
A page that summarises every public article (the sitemap index, the tag index) may be cached only
until the next embargo end among them; those ends are read once per generation (``next_ends``), not
by an aggregate per response.
"""

import functools
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Min, Q, QuerySet
from django.dispatch import Signal
from django.tasks import task
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from articles import frontend_cache, soft_cache

if TYPE_CHECKING:
    from articles.models import Article

logger = logging.getLogger("embargo.health")

PRIVATE_CACHE_CONTROL = "private, no-store, max-age=0"
ROBOTS_PRIVATE = "noindex, nofollow"


GENERATION_KEY = "embargo:page-generation"
NEXT_ENDS_KEY = "embargo:next-ends:{generation}"


def public_generation() -> int:
    """The database's page-cache generation counter: one primary-key read.

    Its SQL is the ORM's, built once per process: on the embedded default every cache hit runs it,
    and building the queryset each time cost more than the hit's whole remaining work.
    """
    sql, params = _generation_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else 0


@functools.cache
def _generation_sql() -> tuple[str, tuple]:
    from articles.models import PageCacheGeneration

    query = PageCacheGeneration.objects.filter(pk=1).values_list("value").query
    return query.sql_with_params()


def _new_token() -> str:
    return secrets.token_hex(12)


def page_generation() -> str:
    """The generation the page cache keys entries by now (see the module docstring).

    No SQL while the cache holds the token; a cache without it (flushed, evicted, first use) gets a
    new one. The cache being down returns a token nothing is stored under: the page is rendered.
    """
    if not settings.EMBARGO_GENERATION_IN_CACHE:
        return f"db{public_generation()}"
    seen = soft_cache.recoveries()
    token = soft_cache.cache_get(GENERATION_KEY)
    if soft_cache.recoveries() != seen:
        # That read was the first to reach the cache since it failed: the token read is from before
        # the outage and has just been replaced (``replace_cached_generation``).
        token = soft_cache.cache_get(GENERATION_KEY)
    if token is None:
        fresh = _new_token()
        # ``add``: a token another process set meanwhile wins, and every process agrees on one.
        token = fresh if soft_cache.cache_add(GENERATION_KEY, fresh) else None
        token = token or soft_cache.cache_get(GENERATION_KEY) or fresh
    return token


def generation_and_page(page_key: str) -> tuple[str, Any]:
    """The generation now, and the page ``page_key`` holds if it was stored under that generation.

    A page entry is ``(generation, page)`` under a key of its URL alone (``store_page``), so with
    the token in the cache one MGET reads both: a hit is one round trip, not token then page. An
    entry stored under any other generation is not served: tokens are never reused, so one from
    before a change can never match again. A token from before an outage (the read was the first
    to reach the cache again) or no token at all is left to ``page_generation``, and nothing cached
    is served.
    """
    if not settings.EMBARGO_GENERATION_IN_CACHE:
        generation = f"db{public_generation()}"
        return generation, _stored_under(soft_cache.cache_get(page_key), generation)
    seen = soft_cache.recoveries()
    found = soft_cache.cache_get_many([GENERATION_KEY, page_key])
    token = found.get(GENERATION_KEY)
    if token is None or soft_cache.recoveries() != seen:
        return page_generation(), None
    return token, _stored_under(found.get(page_key), token)


def _stored_under(entry: tuple[str, Any] | None, generation: str) -> Any:
    if entry is None:
        return None
    stored_generation, page = entry
    return page if stored_generation == generation else None


def store_page(page_key: str, generation: str, page: Any, *, timeout: int) -> bool:
    """Keep ``page`` for ``generation`` (the one its request started under; see
    ``generation_and_page``). A request that raced a change stores under the old generation:
    the entry is then never served, and the next request under the new one replaces it."""
    return soft_cache.cache_set(page_key, (generation, page), timeout=timeout)


def replace_cached_generation() -> bool:
    """Forget every cached page by giving the cache a new token (a no-op for the database counter).

    Called in a change's transaction, and by ``soft_cache`` when the cache answers again after
    failing: what it holds from before may predate a change it was never told of. False when the
    cache could not be told.
    """
    if not settings.EMBARGO_GENERATION_IN_CACHE:
        return True
    return soft_cache.cache_set(GENERATION_KEY, _new_token(), timeout=None)


soft_cache.on_recovery(replace_cached_generation)


def _replace_after_commit() -> None:
    """The committed change's replacement; if the cache cannot be told now, the task worker tells
    it, retrying: a process that never saw the cache fail would otherwise keep the old token."""
    if not replace_cached_generation():
        replace_generation_later.enqueue()


@task()
def replace_generation_later(*, attempt: int = 0) -> None:
    """Give the cache a new generation token; on failure, enqueue the next attempt and fail."""
    try:
        cache.set(GENERATION_KEY, _new_token(), timeout=None)
    except Exception as error:
        if attempt + 1 < frontend_cache.MAX_ATTEMPTS:
            run_after = timezone.now() + frontend_cache.retry_delay(attempt)
            replace_generation_later.using(run_after=run_after).enqueue(attempt=attempt + 1)
        logger.warning(
            "page cache unreachable: its generation is replaced on the next attempt",
            extra={"component": "cache", "error": repr(error), "attempt": attempt},
        )
        raise


@dataclass(frozen=True)
class NextEnds:
    """The soonest embargo end among public articles, and among those that carry a tag."""

    every: datetime | None
    tagged: datetime | None


def _read_next_ends(now: datetime) -> NextEnds:
    from articles.models import Article

    ends = Article.objects.published(now=now).aggregate(
        every=Min("unpublish_at"),
        tagged=Min("unpublish_at", filter=Q(live_revision__tags__isnull=False)),
    )
    return NextEnds(ends["every"], ends["tagged"])


def next_ends(generation: str, now: datetime | None = None) -> NextEnds:
    """The embargo ends that bound a summary page's lifetime: one query per generation, cached
    under it until the soonest end passes (then the next one is read)."""
    now = now or timezone.now()
    key = NEXT_ENDS_KEY.format(generation=generation)
    cached = soft_cache.cache_get(key)
    if cached is not None and (cached.every is None or cached.every > now):
        return cached
    ends = _read_next_ends(now)
    seconds_left = (ends.every - now) / timedelta(seconds=1) if ends.every else None
    timeout = settings.EMBARGO_PUBLIC_MAX_AGE if seconds_left is None else int(seconds_left)
    if timeout > 0:
        soft_cache.cache_set(key, ends, timeout=timeout)
    return ends


class Summary:
    """What a page that summarises public articles (a count, an index) shows, for its ``max-age``."""

    EVERY_PUBLIC_ARTICLE = "every"
    EVERY_TAGGED_ARTICLE = "tagged"


# Sent once a change to what is public has committed, with ``slugs`` (the articles concerned, or
# none for everything): the one place where purging caches outside this site (a CDN, through a
# durable outbox that retries) is enqueued by ``purge_public_pages`` itself, in the transaction;
# see articles/frontend_cache.py. This signal is for what may run after the commit only.
public_pages_changed = Signal()


def purge_public_pages(*, slugs: Iterable[str] = ()) -> int:
    """Forget every cached public page, inside the caller's transaction; returns the new generation.

    Call it in the transaction that changes what is public: the change and its invalidation then
    commit together or not at all, and no process can serve the old page after the commit.
    """
    from articles.models import PageCacheGeneration

    if not PageCacheGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        PageCacheGeneration.objects.get_or_create(pk=1, defaults={"value": 1})
    slugs = tuple(slugs)
    frontend_cache.enqueue_purge(slugs)  # a row in this transaction: the durable purge outbox
    # Now, so no page cached before the change is served from here on; and again once committed,
    # so nothing a request stored in between (read before the commit) is served after it.
    replace_cached_generation()
    transaction.on_commit(_replace_after_commit)
    transaction.on_commit(
        lambda: public_pages_changed.send(sender=PageCacheGeneration, slugs=slugs)
    )
    return public_generation()


def _seconds_until(end: datetime | None, now: datetime, max_age: int) -> int:
    if end is None:
        return max_age
    return min(max_age, max(0, int((end - now) / timedelta(seconds=1))))


def public_end(
    showing: "Iterable[Article] | QuerySet" = (),
    now=None,
    *,
    summarising: str | None = None,
    generation: str | None = None,
) -> datetime | None:
    """The soonest embargo end among what a public response shows: it may be cached until then
    (``mark_public``), never past it.

    Only what the response shows counts, so its lifetime tells nothing about any other article.
    ``showing`` is the articles (instances, or a queryset when the response summarises them all);
    ``summarising`` (a ``Summary``) names the set a summary page covers, whose soonest end is read
    once per generation (``generation``: the one the request started under) rather than by an
    aggregate per response.
    """
    if summarising is not None:
        return getattr(next_ends(generation or page_generation(), now), summarising)
    if isinstance(showing, QuerySet):
        ends = [showing.aggregate(end=Min("unpublish_at"))["end"]]
    else:
        ends = [article.unpublish_at for article in showing]
    return min((end for end in ends if end is not None), default=None)


def max_age_left(response) -> int:
    """The ``max-age`` a stored public response may be sent with now: what it was stored with,
    counted down to the embargo end it was stored under (``mark_public``), as a fresh answer's
    would be. Sent again unchanged, a hit made just before the end would let a browser or proxy
    keep it for up to its whole first lifetime past the end. 0: it may not be sent at all."""
    return _seconds_until(response.embargo_ends_at, timezone.now(), response.embargo_max_age)


def mark_public(
    request,
    response,
    *,
    showing: "Iterable[Article] | QuerySet" = (),
    summarising: str | None = None,
):
    """Let shared caches keep ``response`` — only for anonymous readers of public content.

    ``showing``/``summarising``: what the response shows (or counts); see ``public_end``.
    """
    if request.user.is_authenticated:
        return mark_private(response)
    # The generation the page cache read when the request started (none outside the middleware).
    generation = getattr(request, "page_cache_generation", None)
    now = timezone.now()
    end = public_end(showing, now, summarising=summarising, generation=generation)
    max_age = _seconds_until(end, now, settings.EMBARGO_PUBLIC_MAX_AGE)
    response.embargo_public = True
    response.embargo_max_age = max_age
    # What a page-cache hit counts its max-age down to (``max_age_left``).
    response.embargo_ends_at = end
    patch_cache_control(response, public=True, max_age=max_age)
    response[frontend_cache.SURROGATE_KEY_HEADER] = frontend_cache.surrogate_keys(request, showing)
    patch_vary_headers(response, ["Cookie"])
    return response


def mark_private(response, *, no_referrer: bool = False):
    """Never stored, never indexed. The default for every response that is not marked public."""
    response.embargo_public = False
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    # Whether a view looked at the session must not show: every private response varies on it.
    patch_vary_headers(response, ["Cookie"])
    response["X-Robots-Tag"] = ROBOTS_PRIVATE
    for header in ("ETag", "Last-Modified", "Expires"):
        if header in response:
            del response[header]
    if no_referrer:
        # Kept on the response, so the middleware's own marking later keeps it too.
        response.embargo_no_referrer = True
        response["Referrer-Policy"] = "no-referrer"
    return response
