"""HTTP caching by visibility: public responses are cacheable and purgeable, everything else is not.

The page cache keys every entry by a *generation* read when the request started. Publishing or
withdrawing anything bumps the generation (a database row, so every process sees the bump; it is
written in the same transaction as the change itself), which drops every cached public page at
once; a page rendered by a request that raced a withdrawal is stored under the old generation,
where nobody reads it.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from articles import frontend_cache

if TYPE_CHECKING:
    from articles.models import Article

PRIVATE_CACHE_CONTROL = "private, no-store, max-age=0"
ROBOTS_PRIVATE = "noindex, nofollow"


def public_generation() -> int:
    """The current page-cache generation: one primary-key read."""
    from articles.models import PageCacheGeneration

    return PageCacheGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0


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
    transaction.on_commit(
        lambda: public_pages_changed.send(sender=PageCacheGeneration, slugs=slugs)
    )
    return public_generation()


def public_max_age(showing: "Iterable[Article] | QuerySet" = (), now=None) -> int:
    """Seconds a public response may be cached: never past the embargo end of an article it shows.

    Only what the response shows counts, so its lifetime tells nothing about any other article.
    ``showing`` is the articles (instances, or a queryset when the response summarises them all).
    """
    now = now or timezone.now()
    if isinstance(showing, QuerySet):
        ends = [showing.aggregate(end=Min("unpublish_at"))["end"]]
    else:
        ends = [article.unpublish_at for article in showing]
    max_age = settings.EMBARGO_PUBLIC_MAX_AGE
    next_end = min((end for end in ends if end is not None), default=None)
    if next_end is not None:
        max_age = min(max_age, max(0, int((next_end - now) / timedelta(seconds=1))))
    return max_age


def mark_public(request, response, *, showing: "Iterable[Article] | QuerySet" = ()):
    """Let shared caches keep ``response`` — only for anonymous readers of public content.

    ``showing``: the articles whose content (or count) the response shows; see ``public_max_age``.
    """
    if request.user.is_authenticated:
        return mark_private(response)
    max_age = public_max_age(showing)
    response.embargo_public = True
    response.embargo_max_age = max_age
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
