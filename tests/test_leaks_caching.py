"""Caches and cookies: a withdrawn page leaves the page cache at once (even one rendered during the
withdrawal), a draft or a signed-in reader's page is never stored for others, and a response that
sets or deletes a cookie is private. Every door loads the session before looking anything up."""

import pytest

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Status
from tests.leak_matrix import SECRET_TITLE, client_for, make_article
from tests.response_shape import ForgedSessionClient, cookie_changes

COVERED_ROUTES = {"home"}


@pytest.mark.parametrize(
    "url",
    ["/robots.txt", "/tags/never-existed/", "/preview/nonsense/", "/articles/never-existed/"],
)
def test_every_door_loads_the_session_before_it_looks_anything_up(db, url):
    """So no door can do that work for a found object only: a forged session is always dropped."""
    response = ForgedSessionClient().get(url)
    assert cookie_changes(response) == {"sessionid": "deleted"}
    assert "Cookie" in response["Vary"]


def test_withdrawal_purges_the_page_cache(
    client, people, roles, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("published", people, roles)
    asset_url = article.assets.get().get_absolute_url()
    for url in ("/", f"/articles/{article.slug}/"):
        assert SECRET_TITLE.encode() in client.get(url).content
        assert SECRET_TITLE.encode() in client.get(url).content  # second read from the cache
    assert client.get(asset_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    assert SECRET_TITLE.encode() not in client.get("/").content
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert client.get(asset_url).status_code == 404


def test_a_page_rendered_during_a_withdrawal_is_not_served_after_it(
    client, people, roles, django_capture_on_commit_callbacks, monkeypatch
):
    """A request that raced the withdrawal stores its page under the generation it started with."""
    from articles.web import caching, middleware

    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("published", people, roles)
    started_under = caching.page_generation()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    # Simulate a request that read the generation (and no page) before the purge but finished after.
    monkeypatch.setattr(middleware, "generation_and_page", lambda key: (started_under, None))
    Article.objects.filter(pk=article.pk).update(status=Status.PUBLISHED)
    client.get(f"/articles/{article.slug}/")
    Article.objects.filter(pk=article.pk).update(status=Status.WITHDRAWN)
    monkeypatch.undo()
    assert client.get(f"/articles/{article.slug}/").status_code == 404


def test_a_draft_seen_by_an_editor_is_never_cached_for_others(client, people, roles):
    draft = make_article("draft", people, roles)
    editor_client = client_for(type(client)(), people["editor"])
    assert editor_client.get(f"/articles/{draft.slug}/").status_code == 200
    assert editor_client.get(draft.assets.get().get_absolute_url()).status_code == 200
    # An anonymous client without cookies is exactly who the page cache serves.
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404


def test_public_pages_seen_by_a_signed_in_reader_are_private(client, people, roles):
    article = make_article("published", people, roles)
    client.force_login(people["no_grant"])
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store, max-age=0"


@pytest.mark.parametrize(
    "door",
    ["home", "article", "asset", "tags", "search", "feed", "sitemap", "sitemap-page", "robots"],
)
def test_public_pages_that_delete_a_forged_session_cookie_are_private(people, roles, door):
    """A response carrying Set-Cookie must never be public: a shared cache would replay it."""
    article = make_article("published", people, roles)
    url = {
        "home": "/",
        "article": f"/articles/{article.slug}/",
        "asset": article.assets.get().get_absolute_url(),
        "tags": "/tags/",
        "search": "/search/?q=harbour",
        "feed": "/feeds/rss/",
        "sitemap": "/sitemap.xml",
        "sitemap-page": "/sitemap-articles.xml",
        "robots": "/robots.txt",
    }[door]
    response = ForgedSessionClient().get(url)
    assert response.status_code == 200
    assert cookie_changes(response) == {"sessionid": "deleted"}
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_page_cache_never_stores_a_response_that_sets_a_cookie(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from articles.web.caching import mark_public
    from articles.web.middleware import EmbargoHeadersMiddleware, PublicPageCacheMiddleware

    rendered = []

    def view(request):
        rendered.append(request.path)
        response = mark_public(request, HttpResponse("public page"))
        response.set_cookie("csrftoken", "one reader's")
        return response

    stack = EmbargoHeadersMiddleware(PublicPageCacheMiddleware(view))
    for _ in range(2):
        request = rf.get("/")
        request.user = AnonymousUser()
        response = stack(request)
        assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert len(rendered) == 2  # the second request was not answered from the cache
