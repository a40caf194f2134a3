"""The leak matrix: every door of an article, every article state, every kind of person; and the
route guard that keeps every door in some leak test.

A denial must be indistinguishable from an object that never existed: same status, same body, same
headers. ``COVERED_ROUTES`` names the doors tested here; ``test_every_route_is_covered`` walks the URL
resolver, and the admin's own ``get_urls()``, so a new door cannot be added without a row in a leak
test: every module with leak tests names the routes they exercise in its own ``COVERED_ROUTES``.
The other leak tests of the reader's doors: ``test_leaks_url_variants`` (the same URLs asked
otherwise), ``test_leaks_lost_access`` (share links and grants that end), ``test_leaks_caching``
(the page cache and private responses), ``test_leaks_accounts`` (sign-in, account pages, healthz).
"""

import importlib

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import URLPattern, URLResolver, get_resolver, path

from articles.models import Article, Asset
from tests.leak_matrix import (
    PEOPLE,
    SECRET_TITLE,
    STATES,
    assert_same_as_missing,
    client_for,
    expected_visible,
    make_article,
)
from tests.response_shape import body_of

ROUTES = ["article", "article_draft", "asset_get", "asset_head", "asset_range"]

# The doors of the matrix below. Each module with leak tests names the routes they exercise in its
# own COVERED_ROUTES, listed in LEAK_TEST_MODULES. "asset-rendition"'s matrix is in
# test_renditions.py, on the same helpers (tests/leak_matrix.py).
COVERED_ROUTES = {"article", "article-draft", "asset", "asset-rendition"}


def request(client, route: str, article_slug: str, asset: Asset | None, *, missing: bool = False):
    """Request ``route`` for the article/asset, or (``missing``) for one that never existed."""
    slug = "never-existed" if missing else article_slug
    token = "A" * 32 if missing else asset.token
    asset_path = f"/assets/{token}/chart.png"
    if route == "article":
        return client.get(f"/articles/{slug}/")
    if route == "article_draft":
        return client.get(f"/articles/{slug}/draft/")
    if route == "asset_get":
        return client.get(asset_path)
    if route == "asset_head":
        return client.head(asset_path)
    if route == "asset_range":
        return client.get(asset_path, headers={"range": "bytes=0-10"})
    raise AssertionError(route)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("person", PEOPLE)
def test_matrix(client, people, roles, route, state, person):
    article = make_article(state, people, roles)
    asset = article.assets.get()
    client = client_for(client, people[person])
    response = request(client, route, article.slug, asset)

    if not expected_visible(state, person, route):
        assert_same_as_missing(response, request(client, route, article.slug, asset, missing=True))
        return

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    body = body_of(response)
    if route.startswith("asset"):
        assert response["Content-Type"] == "image/png"
        assert response["Accept-Ranges"] == "none"
        if route == "asset_head":
            assert body == b""
        else:
            assert body == asset.file.open("rb").read()
    else:
        assert SECRET_TITLE.encode() in body
    is_public = state == "published" and route != "article_draft"
    # A forged session cookie comes back deleted, and a response that sets a cookie is private.
    if is_public and person == "anonymous":
        assert "public" in response["Cache-Control"]
    else:
        assert response["Cache-Control"] == "private, no-store, max-age=0"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "ETag" not in response and "Last-Modified" not in response
    if not is_public and not route.startswith("asset"):
        assert b"Not public" in body


def _named_routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or pattern.pattern}"


def admin_routes(site: AdminSite) -> list[str]:
    """Every route ``site`` serves, as "admin:<name>": its own ``get_urls()`` and, through the
    include it makes of each, every registered ModelAdmin's. An unnamed route is named by its path
    (``admin:articles/article/<path:object_id>/``), so each model's counts on its own."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, f"{prefix}{pattern.pattern}")
            else:
                yield f"{site.name}:{pattern.name or f'{prefix}{pattern.pattern}'}"

    return list(walk(site.get_urls()))


# The modules whose leak tests name the routes they exercise, each in its own COVERED_ROUTES.
LEAK_TEST_MODULES = [
    "test_leaks_accounts",
    "test_leaks_caching",
    "test_leaks_lost_access",
    "test_admin",
    "test_admin_doors",
    "test_admin_editors",
    "test_admin_people",
    "test_api",
    "test_discovery_leaks",
    "test_editor",
    "test_exposure_dashboard",
]


def covered_routes() -> set[str]:
    """The routes some module's leak tests exercise."""
    modules = [importlib.import_module(f"tests.{name}") for name in LEAK_TEST_MODULES]
    return COVERED_ROUTES.union(*(module.COVERED_ROUTES for module in modules))


def uncovered_routes(site: AdminSite) -> list[str]:
    """The site's routes and the admin's (from ``site``, not the resolver) that no leak test names."""
    outside_the_admin = [
        name
        for name in _named_routes(get_resolver().url_patterns)
        if not name.startswith(f"{admin.site.name}:")
    ]
    covered = covered_routes()
    return [name for name in [*outside_the_admin, *admin_routes(site)] if name not in covered]


def test_every_route_is_covered():
    """A new URL is a new door: it must have leak tests before it can exist."""
    assert uncovered_routes(admin.site) == [], "Routes without leak tests"


def test_the_admin_routes_are_the_ones_the_site_serves():
    """The guard reads the admin from ``admin.site``: it must be the one mounted at /admin/."""
    from articles.admin_site import EmbargoAdminSite

    assert isinstance(admin.site, EmbargoAdminSite)
    mounted = {
        name
        for name in _named_routes(get_resolver().url_patterns)
        if name.startswith("admin:") and "<" not in name and "(" not in name
    }
    assert mounted <= set(admin_routes(admin.site))


def test_an_admin_route_added_to_the_site_without_a_leak_test_fails_the_guard():
    from articles.admin_site import EmbargoAdminSite

    class ThrowawaySite(EmbargoAdminSite):
        def get_urls(self):
            untested = path("untested/", self.admin_view(self.index), name="untested")
            return [untested, *super().get_urls()]

    site = ThrowawaySite(name="admin")
    for model, model_admin in admin.site._registry.items():
        site.register(model, type(model_admin))
    assert uncovered_routes(site) == ["admin:untested"]


def test_an_admin_route_added_to_a_model_admin_without_a_leak_test_fails_the_guard(monkeypatch):
    article_admin = admin.site._registry[Article]
    served = article_admin.get_urls()
    untested = path(
        "<path:object_id>/untested/", lambda request, object_id: None, name="x_untested"
    )
    monkeypatch.setattr(article_admin, "get_urls", lambda: [untested, *served])
    assert uncovered_routes(admin.site) == ["admin:x_untested"]
