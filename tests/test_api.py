"""The content API (/api/v1/) in the leak matrix: every route, every state, every kind of reader.

A hidden article is the 404 of one that never existed, whole-response; lists, tags and search
answer as if it were not there; parameters naming states change nothing; a token reads what its
owner may read, checked on every request, and nothing once its owner or the token is gone.
"""

import pytest
from django.contrib.auth.models import User

from articles import publishing
from articles.access import SYSTEM
from articles.api import tokens
from articles.models import Article
from tests.leak_matrix import SECRET_TITLE, STATES, make_article
from tests.response_shape import FORGED_SESSION_KEY, assert_same_shape

READERS = [
    "anonymous",
    "forged_session",
    "session_of_editor",  # a session is not an API credential
    "token_no_grant",
    "token_revoked",
    "token_deactivated",
    "token_of_revoked_token",
    "bad_token",
    "token_early_access",
    "token_editor",
]
SEES_UNPUBLISHED = {"token_early_access", "token_editor"}
DETAIL_ROUTES = ["api_article", "api_article_draft"]
STATE_PARAMS = "?status=draft&preview=1&include=drafts&fields=body_markdown&ordering=-updated_at"
COVERED_ROUTES = {
    "api:articles",
    "api:article",
    "api:article-draft",
    "api:tags",
    "api:search",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
}


def headers_for(reader: str, people) -> dict:
    """Request headers for ``reader``; creates the token (or the loss that kills it)."""
    if reader in ("anonymous", "session_of_editor", "forged_session"):
        return {}
    if reader == "bad_token":
        return {"authorization": "Bearer emb_" + "x" * 43}
    owner = {
        "token_no_grant": people["no_grant"],
        "token_revoked": people["revoked"],
        "token_deactivated": people["early_access"],
        "token_of_revoked_token": people["early_access"],
        "token_early_access": people["early_access"],
        "token_editor": people["editor"],
    }[reader]
    token, secret = tokens.api_token_create(owner=owner, label=reader)
    if reader == "token_deactivated":
        User.objects.filter(pk=owner.pk).update(is_active=False)
    if reader == "token_of_revoked_token":
        tokens.api_token_revoke(token=token)
    return {"authorization": f"Bearer {secret}"}


def client_for(client, reader: str, people):
    if reader == "session_of_editor":
        client.force_login(people["editor"])
    if reader == "forged_session":
        client.cookies["sessionid"] = FORGED_SESSION_KEY
    return client


def get(client, path: str, headers: dict):
    return client.get(path, headers=headers)


def detail_path(route: str, slug: str) -> str:
    return f"/api/v1/articles/{slug}" + ("/draft" if route == "api_article_draft" else "")


def visible(state: str, reader: str, route: str) -> bool:
    if reader in SEES_UNPUBLISHED:
        return True
    if reader in ("bad_token", "token_deactivated", "token_of_revoked_token"):
        return False  # a dead token is refused outright, whatever it names
    return state == "published" and route != "api_article_draft"


@pytest.mark.parametrize("route", DETAIL_ROUTES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("reader", READERS)
def test_detail_matrix(client, people, roles, route, state, reader):
    article = make_article(state, people, roles)
    headers = headers_for(reader, people)
    client = client_for(client, reader, people)
    response = get(client, detail_path(route, article.slug), headers)
    missing = get(client, detail_path(route, "never-existed"), headers)
    if not visible(state, reader, route):
        assert response.status_code in (401, 404)
        assert_same_shape(response, missing)
        assert SECRET_TITLE.encode() not in response.content
        return
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == SECRET_TITLE
    if reader.startswith("token"):
        assert response["Cache-Control"] == "private, no-store, max-age=0"
        assert "ETag" not in response
    else:
        assert data["is_public"] is True
        assert data["body_markdown"].startswith("The harbour protocol body.")
        assert data["assets"][0]["url"].startswith("http://testserver/assets/")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("reader", READERS)
def test_lists_tags_and_search_never_count_hidden_articles(client, people, roles, state, reader):
    """The list, the tags and the search answer exactly as if a hidden article never existed."""
    headers = headers_for(reader, people)
    client = client_for(client, reader, people)
    paths = ["/api/v1/articles", "/api/v1/tags", "/api/v1/search?q=harbour"]
    before = [get(client, path, headers) for path in paths]
    article = make_article(state, people, roles)
    after = [get(client, path, headers) for path in paths]
    if visible(state, reader, "api_article") and before[0].status_code == 200:
        assert article.slug in after[0].content.decode()
        return
    for response, reference in zip(after, before, strict=True):
        assert_same_shape(response, reference)


@pytest.mark.parametrize("state", STATES)
def test_state_naming_parameters_change_nothing(client, people, roles, state):
    make_article(state, people, roles)
    for path in ("/api/v1/articles", "/api/v1/articles/quiet-harbour", "/api/v1/search?q=harbour"):
        plain = client.get(path)
        joiner = "&" if "?" in path else "?"
        named = client.get(path + joiner + STATE_PARAMS.lstrip("?"))
        assert_same_shape(named, plain)


def test_a_token_reads_a_granted_draft_and_nothing_else(client, people, roles):
    granted = make_article("draft", people, roles)
    other = make_article("draft", people, roles, slug="other-draft")
    publishing.access_revoke(actor=SYSTEM, article=other, perm="view", group=roles["Early access"])
    _, secret = tokens.api_token_create(owner=people["early_access"])
    auth = {"authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/articles/{granted.slug}", headers=auth).status_code == 200
    missing = client.get("/api/v1/articles/never-existed", headers=auth)
    assert_same_shape(client.get(f"/api/v1/articles/{other.slug}", headers=auth), missing)
    slugs = [item["slug"] for item in client.get("/api/v1/articles", headers=auth).json()["items"]]
    assert slugs == [granted.slug]
    # The grant is checked on every request: revoked, the draft is gone at once.
    publishing.access_revoke(
        actor=SYSTEM, article=granted, perm="view", group=roles["Early access"]
    )
    assert_same_shape(client.get(f"/api/v1/articles/{granted.slug}", headers=auth), missing)
    assert client.get("/api/v1/articles", headers=auth).json()["items"] == []


def test_an_expired_token_is_refused(client, people):
    from datetime import timedelta

    from django.utils import timezone

    token, secret = tokens.api_token_create(owner=people["editor"])
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    response = client.get("/api/v1/articles", headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_public_answers_are_conditional_and_purged_with_the_pages(client, people, roles):
    article = make_article("published", people, roles)
    path = f"/api/v1/articles/{article.slug}"
    first = client.get(path)
    assert "public" in first["Cache-Control"] and first["ETag"] and first["Last-Modified"]
    again = client.get(path, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    publishing.article_withdraw(actor=SYSTEM, article=article)
    assert client.get(path).status_code == 404  # the page cache dropped it with the withdrawal


def test_cursor_pagination_walks_every_public_article_once(client, people, roles, monkeypatch):
    from articles.api import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(5):
        make_article("published", people, roles, slug=f"public-{n}")
    make_article("draft", people, roles, slug="hidden-one")
    seen, path = [], "/api/v1/articles"
    while path:
        data = client.get(path).json()
        seen += [item["slug"] for item in data["items"]]
        path = f"/api/v1/articles?cursor={data['next_cursor']}" if data["next_cursor"] else None
    assert sorted(seen) == [f"public-{n}" for n in range(5)]
    assert client.get("/api/v1/articles?cursor=forged").status_code == 404


def test_throttled_with_a_clear_429(client, settings, people):
    """Per address for the public (a page-cache hit costs nothing and is not counted), per token."""
    settings.EMBARGO_API_RATE_PUBLIC = "2/m"
    answers = [client.get(f"/api/v1/tags?n={n}") for n in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[2].json() == {"detail": "Too many requests."}
    assert answers[2]["Cache-Control"] == "private, no-store, max-age=0"
    _, secret = tokens.api_token_create(owner=people["editor"])
    assert (
        client.get("/api/v1/tags", headers={"authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_the_openapi_schema_is_served(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/articles/{slug}" in schema["paths"]


def test_every_api_route_is_in_the_leak_tests():
    from django.urls import get_resolver

    from tests.test_leaks import _named_routes

    api_routes = {n for n in _named_routes(get_resolver().url_patterns) if n.startswith("api:")}
    assert api_routes <= COVERED_ROUTES
    assert Article  # the matrix builds articles through services


@pytest.mark.parametrize("reader", ["anonymous", "token_no_grant", "token_revoked", "bad_token"])
def test_a_hidden_article_costs_the_queries_of_a_missing_one(client, people, roles, reader):
    """Same work: the database is asked the same number of questions for hidden and missing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = make_article("draft", people, roles)
    headers = headers_for(reader, people)
    counts = []
    for slug in (article.slug, "never-existed", article.slug):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/api/v1/articles/{slug}", headers=headers)
        counts.append(len(queries))
    assert counts[1] == counts[2]


def test_api_answers_vary_on_authorization(client, people, roles):
    make_article("published", people, roles)
    assert "Authorization" in client.get("/api/v1/articles")["Vary"]


def test_the_tag_filter_sees_only_the_revision_shown(client, people, roles):
    article = make_article("published", people, roles)
    publishing.article_update(actor=SYSTEM, article=article, title="Draft", tags=["secret-tag"])
    assert client.get("/api/v1/articles?tag=secret-tag").json()["items"] == []
    assert_same_shape(
        client.get("/api/v1/articles?tag=secret-tag"), client.get("/api/v1/articles?tag=nowhere")
    )
