"""Response headers by visibility, and the page cache that only ever holds public pages."""

import hashlib
from typing import Any

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_http_date_safe

from articles.asset_delivery import StoredFile
from articles.web.caching import generation_and_page, mark_private, max_age_left, store_page


def sets_cookies(response) -> bool:
    """Whether ``response`` sets or deletes a cookie (a forged session's deletion included)."""
    return bool(response.cookies)


class EmbargoHeadersMiddleware:
    """Private by default: any response a view did not explicitly mark public is private, no-store.

    So is any response that sets or deletes a cookie, whatever the view said: a shared cache must
    not keep, or hand to the next reader, one reader's Set-Cookie (a forged session cookie is
    deleted by the session middleware, after the view marked the page public).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "embargo_public", False) or sets_cookies(response):
            mark_private(response, no_referrer=getattr(response, "embargo_no_referrer", False))
        return response


class SameWorkForEveryRequestMiddleware:
    """Resolve the signed-in user, and so load the session, before any view looks anything up.

    A view that asks "who is this?" only once it has found an object (a hidden slug, a hidden asset
    token) would load the session only then; Django's session middleware would then add ``Vary:
    Cookie`` in a different place and delete a forged session cookie, for a hidden object and not for
    a missing one. Doing that work for every request makes both answers the same. It must come
    after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018  (evaluating the lazy user is the point)
        return self.get_response(request)


# A hit without any of these is answered as stored (what ``get_conditional_response`` returns then).
CONDITIONAL_HEADERS = frozenset(
    {"HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"}
)

# The URL names (articles/web/urls.py) whose public files the page cache may keep.
PUBLIC_FILE_DOORS = frozenset({"asset", "asset-rendition"})


class PublicPageCacheMiddleware:
    """Serve and store public pages for readers without a session; never anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._may_use_cache(request):
            return self.get_response(request)
        key = self._key(request)
        # None too when the cache is down: the page is rendered fresh.
        generation, cached = generation_and_page(key)
        request.page_cache_generation = generation
        if isinstance(cached, StoredFile):
            cached = cached.response()
        if cached is not None:
            cached = self._counted_down(cached)
        if cached is not None:
            if CONDITIONAL_HEADERS.isdisjoint(request.META):
                return cached
            # A stored answer with validators (the API's, an asset's) still honours If-None-Match
            # / -Modified-Since (and If-Match / -Unmodified-Since).
            answer = get_conditional_response(
                request,
                etag=cached.get("ETag"),
                last_modified=parse_http_date_safe(cached.get("Last-Modified", "")),
                response=cached,
            )
            if answer is not cached and cached.streaming:
                cached.file_to_stream.close()  # a 304 instead of the reopened file
            return answer
        response = self.get_response(request)
        if (
            getattr(response, "embargo_public", False)
            and response.status_code == 200
            and not sets_cookies(response)  # made private on the way out, never stored
            and response.embargo_max_age > 0
        ):
            stored = self._storable(request, response)
            if stored is not None:
                store_page(key, generation, stored, timeout=response.embargo_max_age)
        return response

    @staticmethod
    def _counted_down(cached) -> Any:
        """``cached`` with the max-age a fresh answer would have now, or None (run as a miss) when
        its embargo end has come: sent with the max-age it was stored with, it would outlive the
        end in every cache outside the site by as long as it had been stored."""
        max_age = max_age_left(cached)
        if max_age <= 0:
            if cached.streaming:
                cached.file_to_stream.close()
            return None
        if max_age < cached.embargo_max_age:
            cached.embargo_max_age = max_age
            patch_cache_control(cached, max_age=max_age)
        return cached

    @staticmethod
    def _storable(request, response) -> Any:
        """What the cache keeps of a public response: itself, or for a public asset's file its
        headers and path (never its bytes); None for any other stream.

        Only the asset doors' files: one reached through a share link would keep answering after
        the link is revoked or expires, which changes nothing public and so replaces no generation.
        """
        if not response.streaming:
            return response
        match = request.resolver_match
        if match is None or match.url_name not in PUBLIC_FILE_DOORS:
            return None
        return StoredFile.of(response)

    @staticmethod
    def _may_use_cache(request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            # The health check must ask the components every time, even with the cache down.
            and request.path_info != "/healthz"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
        )

    @staticmethod
    def _key(request) -> str:
        url = f"{request.method}:{request.get_host()}{request.get_full_path()}"
        return f"embargo:page:{hashlib.sha256(url.encode()).hexdigest()}"
