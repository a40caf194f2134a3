"""Share links: issued with ``share``, scoped to one article's working draft, expiring, revocable."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import services
from articles.access import PREVIEW_SALT
from articles.models import Article, Status
from tests.factories import make_article, make_user, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store, max-age=0",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def author():
    return make_user("ada", groups=("Authors",))


@pytest.fixture
def draft(author):
    """A draft by ``author`` with an image and a PDF, linking to the home page and a tag."""
    return make_article(
        "secret-draft",
        title="Secret draft",
        body="![chart](chart.png)\n\n[the card](card.pdf) · [home](/) · [elsewhere](https://example.com/)",
        files=[png_bytes("chart.png"), pdf_bytes("card.pdf")],
        actor=author,
    )


@pytest.fixture
def link(author, draft):
    """A share link to ``draft`` and its token."""
    return services.preview_link_issue(actor=author, article=draft, label="Legal review")


def preview_url(token: str) -> str:
    return f"/preview/{token}/"


def preview_asset_url(token: str, asset) -> str:
    return f"/preview/{token}/assets/{asset.token}/{asset.download_name}"


def assert_same_as_missing(client, response) -> None:
    """Identical to the 404 for a token that never existed (status, body and headers)."""
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    for missing in (client.get(preview_url(never)), client.get("/preview/nonsense/")):
        assert response.status_code == missing.status_code == 404
        assert response.content == missing.content
        assert sorted(response.headers.items()) == sorted(missing.headers.items())


def asset(article: Article, name: str):
    return article.latest_revision.assets.get(original_name=name)


# --- issuing -----------------------------------------------------------------------------------


def test_the_author_may_share_their_own_article(link, draft):
    created, token = link
    assert created.article == draft
    assert created.expires_at - timezone.now() == pytest.approx(
        timedelta(hours=72), abs=timedelta(minutes=1)
    )
    assert signing.Signer(salt=PREVIEW_SALT).unsign(token) == created.key


@pytest.mark.parametrize("role", ["Editors", "Publishers", "Early access", None])
def test_sharing_needs_the_share_permission(draft, role):
    person = make_user("someone", groups=(role,) if role else ())
    services.access_grant(actor=None, article=draft, perm="view", user=person)
    with pytest.raises(PermissionDenied, match="permission to share"):
        services.preview_link_issue(actor=person, article=draft, label="Friend")
    assert not draft.preview_links.exists()


def test_share_grant_on_one_article_lets_that_person_share_it(draft):
    person = make_user("desk")
    services.access_grant(actor=None, article=draft, perm="share", user=person)
    services.preview_link_issue(actor=person, article=draft, label="Desk")
    assert draft.preview_links.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "  "}, "Say who the link is for"),
        ({"label": "x", "ttl": timedelta(0)}, "must expire in the future"),
        ({"label": "x", "ttl": timedelta(days=31)}, "at most"),
    ],
)
def test_issue_refuses_bad_input_with_a_clear_message(draft, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        services.preview_link_issue(actor=None, article=draft, **kwargs)
    assert not draft.preview_links.exists()


# --- viewing -----------------------------------------------------------------------------------


def test_preview_shows_the_working_draft_with_a_banner_and_private_headers(client, link):
    response = client.get(preview_url(link[1]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Secret draft" in page
    assert "Not public — draft" in page
    for header, value in PRIVATE_HEADERS.items():
        assert response[header] == value


def test_the_token_appears_only_in_the_previews_own_asset_links(client, link):
    """No link the page makes to another page carries the token (nor does any Referer)."""
    token = link[1]
    page = client.get(preview_url(token)).content.decode()
    urls = re.findall(r'(?:href|src|action)="([^"]*)"', page)
    with_token = [url for url in urls if token in url]
    assert with_token, "the image and the PDF go through the preview's asset door"
    assert all(url.startswith(f"/preview/{token}/assets/") for url in with_token)
    assert page.count(token) == len(with_token)
    assert 'href="/"' in page
    assert 'href="https://example.com/"' in page


def test_preview_assets_are_served_privately(client, link, draft):
    token = link[1]
    for name in ("chart.png", "card.pdf"):
        response = client.get(preview_asset_url(token, asset(draft, name)))
        assert response.status_code == 200
        for header, value in PRIVATE_HEADERS.items():
            assert response[header] == value


def test_the_preview_makes_nothing_public(client, link, draft):
    client.get(preview_url(link[1]))
    assert client.get("/articles/secret-draft/").status_code == 404
    assert client.get(asset(draft, "chart.png").get_absolute_url()).status_code == 404


def test_preview_of_a_published_article_shows_its_working_draft(client, author):
    article = make_article("live", status=Status.PUBLISHED, title="Live words", actor=author)
    services.article_update(actor=None, article=article, title="Draft words")
    _, token = services.preview_link_issue(actor=author, article=article, label="Check")
    page = client.get(preview_url(token)).content.decode()
    assert "Draft words" in page
    assert "Not public — unpublished working draft of a live article" in page


# --- scope -------------------------------------------------------------------------------------


def test_preview_asset_door_refuses_another_articles_asset(client, link, author):
    other = make_article("other", files=[png_bytes("other.png")], actor=author)
    assert_same_as_missing(
        client, client.get(preview_asset_url(link[1], asset(other, "other.png")))
    )


def test_preview_asset_door_refuses_even_a_public_asset_of_another_article(client, link):
    public = make_article("public", status=Status.PUBLISHED, files=[png_bytes("open.png")])
    response = client.get(preview_asset_url(link[1], asset(public, "open.png")))
    assert_same_as_missing(client, response)


def test_preview_asset_door_serves_only_the_working_drafts_assets(client, link, draft):
    """A file dropped from the draft is no longer reachable through the link."""
    chart = asset(draft, "chart.png")
    services.article_update(actor=None, article=draft, title="Text only", body="", keep_assets=[])
    assert_same_as_missing(client, client.get(preview_asset_url(link[1], chart)))


def test_a_public_asset_through_the_preview_door_is_still_private(client, author):
    """Reached with a token in its URL, even a live image must not be stored by a shared cache."""
    article = make_article(
        "live", status=Status.PUBLISHED, files=[png_bytes("hero.png")], actor=author
    )
    _, token = services.preview_link_issue(actor=author, article=article, label="Check")
    response = client.get(preview_asset_url(token, asset(article, "hero.png")))
    assert response.status_code == 200
    for header, value in PRIVATE_HEADERS.items():
        assert response[header] == value
    assert "ETag" not in response


# --- dead tokens -------------------------------------------------------------------------------


def tampered(token: str) -> str:
    flip = "A" if token[0] != "A" else "B"
    return flip + token[1:]


@pytest.mark.parametrize(
    "spoil",
    [
        tampered,
        lambda token: token[:-1],
        lambda token: token.rsplit(":", 1)[0],
        lambda token: token + "x",
        lambda token: token.upper(),
    ],
    ids=["tampered", "truncated", "unsigned", "extended", "case-changed"],
)
def test_a_spoilt_token_is_the_missing_404(client, link, draft, spoil):
    token = spoil(link[1])
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, asset(draft, "chart.png"))))


def test_an_expired_link_is_the_missing_404(client, link, draft, monkeypatch):
    created, token = link
    monkeypatch.setattr(timezone, "now", lambda: created.expires_at - timedelta(seconds=1))
    assert client.get(preview_url(token)).status_code == 200
    monkeypatch.setattr(timezone, "now", lambda: created.expires_at)
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, asset(draft, "chart.png"))))


def test_a_revoked_link_is_the_missing_404_at_once(client, link, author, draft):
    created, token = link
    assert client.get(preview_url(token)).status_code == 200
    services.preview_link_revoke(actor=author, link=created)
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, asset(draft, "chart.png"))))


def test_another_articles_token_opens_nothing_of_this_article(client, draft, author):
    other = make_article("other", actor=author)
    _, other_token = services.preview_link_issue(actor=author, article=other, label="Other")
    chart = asset(draft, "chart.png")
    assert_same_as_missing(client, client.get(preview_asset_url(other_token, chart)))
    assert "Secret draft" not in client.get(preview_url(other_token)).content.decode()


def test_revoke_all_stops_every_link_of_the_article_only(client, draft, author):
    tokens = [
        services.preview_link_issue(actor=author, article=draft, label=f"Reader {n}")[1]
        for n in range(3)
    ]
    other = make_article("other", actor=author)
    _, other_token = services.preview_link_issue(actor=author, article=other, label="Other")
    assert services.preview_links_revoke_all(actor=author, article=draft) == 3
    for token in tokens:
        assert_same_as_missing(client, client.get(preview_url(token)))
    assert client.get(preview_url(other_token)).status_code == 200
    assert services.preview_links_revoke_all(actor=author, article=draft) == 0


def test_revoking_needs_the_share_permission(link):
    editor = make_user("edie", groups=("Editors",))
    with pytest.raises(PermissionDenied):
        services.preview_link_revoke(actor=editor, link=link[0])
    with pytest.raises(PermissionDenied):
        services.preview_links_revoke_all(actor=editor, article=link[0].article)
    link[0].refresh_from_db()
    assert link[0].revoked_at is None


def test_a_link_stops_working_when_the_embargo_ended(client, author, monkeypatch):
    """Past ``unpublish_at`` a share link shows neither the page nor its files."""
    start = timezone.now() + timedelta(hours=1)
    article = make_article("ended", files=[png_bytes("hero.png")], actor=author)
    services.article_schedule(
        actor=None, article=article, publish_at=start, unpublish_at=start + timedelta(hours=1)
    )
    services.publish_due_articles(now=start)
    _, token = services.preview_link_issue(actor=author, article=article, label="Check")
    hero = asset(article, "hero.png")
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=1))
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, hero)))
