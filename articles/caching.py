"""HTTP caching by visibility: public responses are cacheable and purgeable, everything else is not.

The page cache keys every entry by a *generation* read when the request started. Publishing or
withdrawing anything bumps the generation (a database row, so every process sees the bump), which
drops every cached public page at once; a page rendered by a request that raced a withdrawal is
stored under the old generation, where nobody reads it.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

PRIVATE_CACHE_CONTROL = "private, no-store, max-age=0"
ROBOTS_PRIVATE = "noindex, nofollow"


def public_generation() -> int:
    """The current page-cache generation: one primary-key read."""
    from articles.models import PageCacheGeneration

    return PageCacheGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def purge_public_pages() -> None:
    """Forget every cached public page (called after a commit that changed what is public)."""
    from articles.models import PageCacheGeneration

    if not PageCacheGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        PageCacheGeneration.objects.get_or_create(pk=1, defaults={"value": 1})


def public_max_age(now=None) -> int:
    """Seconds a public response may be cached: never past the next embargo end of a live article."""
    from articles.models import Article

    now = now or timezone.now()
    max_age = settings.EMBARGO_PUBLIC_MAX_AGE
    next_end = Article.objects.published(now=now).aggregate(end=Min("unpublish_at"))["end"]
    if next_end is not None:
        max_age = min(max_age, max(0, int((next_end - now) / timedelta(seconds=1))))
    return max_age


def mark_public(request, response):
    """Let shared caches keep ``response`` — only for anonymous readers of public content."""
    if request.user.is_authenticated:
        return mark_private(response)
    max_age = public_max_age()
    response.embargo_public = True
    response.embargo_max_age = max_age
    patch_cache_control(response, public=True, max_age=max_age)
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
        response["Referrer-Policy"] = "no-referrer"
    return response
