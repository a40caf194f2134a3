"""Share links: issued with ``share``, scoped to one article's working draft, expiring, revocable."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import access, publishing
from articles.access import PREVIEW_SALT, SYSTEM
from articles.models import Article, AuditEvent, PreviewLink, Status
from tests.factories import make_article, make_user, pdf_bytes, png_upload
from tests.response_shape import assert_same_shape

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
        files=[png_upload("chart.png"), pdf_bytes("card.pdf")],
        actor=author,
    )


@pytest.fixture
def link(author, draft):
    """A share link to ``draft`` and its token."""
    return publishing.preview_link_issue(actor=author, article=draft, label="Legal review")


def preview_url(token: str) -> str:
    return f"/preview/{token}/"


def preview_asset_url(token: str, asset) -> str:
    return f"/preview/{token}/assets/{asset.token}/{asset.download_name}"


def assert_same_as_missing(client, response) -> None:
    """Identical to the 404 for a token that never existed (status, body and headers)."""
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    for missing in (client.get(preview_url(never)), client.get("/preview/nonsense/")):
        assert response.status_code == 404
        assert_same_shape(response, missing)


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
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=person)
    with pytest.raises(PermissionDenied, match="permission to share"):
        publishing.preview_link_issue(actor=person, article=draft, label="Friend")
    assert not draft.preview_links.exists()


def test_share_and_view_grants_on_one_article_let_that_person_share_it(draft):
    person = make_user("desk")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="share", user=person)
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=person)
    publishing.preview_link_issue(actor=person, article=draft, label="Desk")
    assert draft.preview_links.count() == 1


def test_share_without_view_cannot_issue_a_link(draft):
    """A link works only while its creator may view the article: one it could never serve is refused."""
    person = make_user("desk")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="share", user=person)
    with pytest.raises(PermissionDenied, match="permission to share"):
        publishing.preview_link_issue(actor=person, article=draft, label="Desk")
    assert not draft.preview_links.exists()


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
        publishing.preview_link_issue(actor=SYSTEM, article=draft, **kwargs)
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
    for srcset in re.findall(r'srcset="([^"]*)"', page):
        urls += [candidate.split()[0] for candidate in srcset.split(", ")]
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
    publishing.article_update(actor=SYSTEM, article=article, title="Draft words")
    _, token = publishing.preview_link_issue(actor=author, article=article, label="Check")
    page = client.get(preview_url(token)).content.decode()
    assert "Draft words" in page
    assert "Not public — unpublished working draft of a live article" in page


# --- scope -------------------------------------------------------------------------------------


def test_preview_asset_door_refuses_another_articles_asset(client, link, author):
    other = make_article("other", files=[png_upload("other.png")], actor=author)
    assert_same_as_missing(
        client, client.get(preview_asset_url(link[1], asset(other, "other.png")))
    )


def test_preview_asset_door_refuses_even_a_public_asset_of_another_article(client, link):
    public = make_article("public", status=Status.PUBLISHED, files=[png_upload("open.png")])
    response = client.get(preview_asset_url(link[1], asset(public, "open.png")))
    assert_same_as_missing(client, response)


def test_a_file_dropped_from_a_later_draft_stays_reachable_in_the_shared_revision(
    client, link, draft
):
    """The link shares the revision it was issued for, with that revision's files."""
    chart = asset(draft, "chart.png")
    publishing.article_update(
        actor=SYSTEM, article=draft, title="Text only", body="", keep_assets=[]
    )
    assert client.get(preview_asset_url(link[1], chart)).status_code == 200


def test_a_public_asset_through_the_preview_door_is_still_private(client, author):
    """Reached with a token in its URL, even a live image must not be stored by a shared cache."""
    article = make_article(
        "live", status=Status.PUBLISHED, files=[png_upload("hero.png")], actor=author
    )
    _, token = publishing.preview_link_issue(actor=author, article=article, label="Check")
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
    publishing.preview_link_revoke(actor=author, link=created)
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, asset(draft, "chart.png"))))


def test_another_articles_token_opens_nothing_of_this_article(client, draft, author):
    other = make_article("other", actor=author)
    _, other_token = publishing.preview_link_issue(actor=author, article=other, label="Other")
    chart = asset(draft, "chart.png")
    assert_same_as_missing(client, client.get(preview_asset_url(other_token, chart)))
    assert "Secret draft" not in client.get(preview_url(other_token)).content.decode()


def test_revoke_all_stops_every_link_of_the_article_only(client, draft, author):
    tokens = [
        publishing.preview_link_issue(actor=author, article=draft, label=f"Reader {n}")[1]
        for n in range(3)
    ]
    other = make_article("other", actor=author)
    _, other_token = publishing.preview_link_issue(actor=author, article=other, label="Other")
    assert publishing.preview_links_revoke_all(actor=author, article=draft) == 3
    for token in tokens:
        assert_same_as_missing(client, client.get(preview_url(token)))
    assert client.get(preview_url(other_token)).status_code == 200
    assert publishing.preview_links_revoke_all(actor=author, article=draft) == 0


def test_revoking_needs_the_share_permission(link):
    editor = make_user("edie", groups=("Editors",))
    with pytest.raises(PermissionDenied):
        publishing.preview_link_revoke(actor=editor, link=link[0])
    with pytest.raises(PermissionDenied):
        publishing.preview_links_revoke_all(actor=editor, article=link[0].article)
    link[0].refresh_from_db()
    assert link[0].revoked_at is None


def test_a_link_stops_working_when_the_embargo_ended(client, author, monkeypatch):
    """Past ``unpublish_at`` a share link shows neither the page nor its files."""
    start = timezone.now() + timedelta(hours=1)
    article = make_article("ended", files=[png_upload("hero.png")], actor=author)
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=start, unpublish_at=start + timedelta(hours=1)
    )
    publishing.publish_due_articles(now=start)
    _, token = publishing.preview_link_issue(actor=author, article=article, label="Check")
    hero = asset(article, "hero.png")
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=1))
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, hero)))


@pytest.fixture
def ended_by_embargo(author, monkeypatch):
    """A published article with a share link, withdrawn by the worker at its embargo end."""
    now = timezone.now()
    article = make_article(
        "ended", body="Secret words.", files=[png_upload("hero.png")], actor=author
    )
    link, token = publishing.preview_link_issue(actor=author, article=article, label="Legal")
    publishing.article_publish(
        actor=SYSTEM, article=article, unpublish_at=now + timedelta(minutes=1)
    )
    later = now + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    publishing.publish_due_articles(now=later)
    article.refresh_from_db()
    link.refresh_from_db()
    return article, link, token


def test_the_embargo_end_revokes_the_articles_links_durably(ended_by_embargo):
    article, link, _token = ended_by_embargo
    assert article.status == Status.WITHDRAWN
    assert link.revoked_at is not None
    assert link.revoked_reason == "the article's embargo end passed"
    (event,) = AuditEvent.objects.filter(article=article, action=AuditEvent.Action.PREVIEW_REVOKE)
    assert event.detail["links"] == [link.pk]


def test_a_link_ended_by_the_embargo_does_not_come_back_on_return_to_draft(
    client, ended_by_embargo
):
    """return_to_draft clears ``unpublish_at``, which the serve-time check reads: the revocation stays."""
    article, _link, token = ended_by_embargo
    publishing.article_return_to_draft(actor=SYSTEM, article=article)
    article.refresh_from_db()
    assert article.unpublish_at is None
    hero = asset(article, "hero.png")
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, hero)))


def test_a_manual_withdrawal_before_the_embargo_end_keeps_the_links(author):
    article = make_article("early-pull", actor=author)
    link, _ = publishing.preview_link_issue(actor=author, article=article, label="Legal")
    publishing.article_publish(
        actor=SYSTEM, article=article, unpublish_at=timezone.now() + timedelta(days=1)
    )
    publishing.article_withdraw(actor=SYSTEM, article=article)
    link.refresh_from_db()
    assert link.revoked_at is None


# --- a link lives only while its creator may share and view the article -------------------------


@pytest.fixture
def collaborator(draft):
    """Someone granted ``view`` and ``share`` on ``draft`` alone."""
    person = make_user("cole")
    for perm in ("view", "share"):
        publishing.access_grant(actor=SYSTEM, article=draft, perm=perm, user=person)
    return person


@pytest.fixture
def collaborators_link(collaborator, draft):
    return publishing.preview_link_issue(actor=collaborator, article=draft, label="Outside counsel")


def assert_link_dead(client, token: str, draft) -> None:
    assert_same_as_missing(client, client.get(preview_url(token)))
    assert_same_as_missing(client, client.get(preview_asset_url(token, asset(draft, "chart.png"))))


def ended_reasons(draft) -> dict[str, str]:
    audience = access.who_can_see(draft)
    assert all(link.label != "Outside counsel" for link in audience.preview_links)
    return {ended.link.label: ended.reason for ended in audience.ended_links}


@pytest.mark.parametrize("perm", ["view", "share"])
def test_revoking_view_or_share_from_the_creator_ends_their_link(
    client, draft, collaborator, collaborators_link, perm, django_capture_on_commit_callbacks
):
    link, token = collaborators_link
    assert client.get(preview_url(token)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=draft, perm=perm, user=collaborator)
    assert_link_dead(client, token, draft)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.revoked_reason == f"its creator lost {perm} on this article"
    assert ended_reasons(draft) == {"Outside counsel": link.revoked_reason}
    event = AuditEvent.objects.get(action=AuditEvent.Action.PREVIEW_REVOKE)
    assert event.article == draft
    assert event.detail["links"] == [link.pk]


def test_a_link_ended_by_a_revoke_stays_ended_when_access_is_granted_again(
    client, draft, collaborator, collaborators_link
):
    _, token = collaborators_link
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", user=collaborator)
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=collaborator)
    assert_link_dead(client, token, draft)


def test_revoking_change_leaves_the_link_working(client, draft, collaborator, collaborators_link):
    publishing.access_grant(actor=SYSTEM, article=draft, perm="change", user=collaborator)
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="change", user=collaborator)
    assert client.get(preview_url(collaborators_link[1])).status_code == 200
    assert collaborators_link[0].__class__.objects.get().revoked_at is None


def test_a_deactivated_creators_link_is_the_missing_404_on_the_next_request(
    client, draft, collaborator, collaborators_link
):
    """Deactivation saved directly (no service) is enough: the rule checks the creator when serving."""
    _, token = collaborators_link
    assert client.get(preview_url(token)).status_code == 200
    collaborator.is_active = False
    collaborator.save()
    assert_link_dead(client, token, draft)
    assert ended_reasons(draft) == {"Outside counsel": "its creator's account is deactivated"}
    assert "Outside counsel" not in json.dumps(
        json.loads(run_who_can_see(draft.slug))["preview_links"]
    )


def test_a_deleted_creators_link_is_the_missing_404(
    client, draft, collaborator, collaborators_link
):
    """Deleting the creator empties ``created_by``; that must not turn it into a shell link."""
    _, token = collaborators_link
    collaborator.delete()
    assert_link_dead(client, token, draft)


def test_a_creator_who_still_holds_view_globally_keeps_the_link(
    client, draft, collaborator, collaborators_link
):
    """Only people who actually lose access lose their links: a global grant still covers them."""
    collaborator.user_permissions.add(Permission.objects.get(codename="view_article"))
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", user=collaborator)
    assert client.get(preview_url(collaborators_link[1])).status_code == 200
    assert PreviewLink.objects.get().revoked_at is None


def test_removing_a_group_grant_ends_the_links_of_members_who_lose_it(
    client, draft, django_capture_on_commit_callbacks
):
    desk = Group.objects.create(name="Legal desk")
    for perm in ("view", "share"):
        publishing.access_grant(actor=SYSTEM, article=draft, perm=perm, group=desk)
    loses, keeps = make_user("lou"), make_user("kit")
    desk.user_set.add(loses, keeps)
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=keeps)
    lost_link, lost_token = publishing.preview_link_issue(actor=loses, article=draft, label="Lou")
    kept_link, kept_token = publishing.preview_link_issue(actor=keeps, article=draft, label="Kit")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", group=desk)
    assert_link_dead(client, lost_token, draft)
    assert client.get(preview_url(kept_token)).status_code == 200
    lost_link.refresh_from_db()
    kept_link.refresh_from_db()
    assert lost_link.revoked_at is not None and kept_link.revoked_at is None
    assert AuditEvent.objects.get(action=AuditEvent.Action.PREVIEW_REVOKE).detail["links"] == [
        lost_link.pk
    ]
    assert [link.label for link in access.who_can_see(draft).preview_links] == ["Kit"]


def test_links_issued_from_the_shell_do_not_depend_on_a_person(client, draft):
    _, token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Shell")
    User.objects.update(is_active=False)
    assert client.get(preview_url(token)).status_code == 200


def test_a_dead_link_costs_the_same_queries_as_a_token_never_issued(
    client, draft, collaborator, collaborators_link
):
    """The creator check is part of the one lookup, not an extra query once the link is found."""
    _, token = collaborators_link
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    collaborator.is_active = False
    collaborator.save()
    dead = queries(preview_url(token))
    assert dead == queries(preview_url(never)) == queries("/preview/nonsense/")


def test_who_can_see_command_says_which_links_ended_and_why(
    draft, collaborator, collaborators_link
):
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="share", user=collaborator)
    out = run_who_can_see(draft.slug, as_json=False)
    assert "ended before they expired" in out
    assert "“Outside counsel”: its creator lost share on this article" in out
    data = json.loads(run_who_can_see(draft.slug))
    assert data["preview_links"] == []
    assert data["ended_links"][0]["reason"] == "its creator lost share on this article"


def run_who_can_see(slug: str, *, as_json: bool = True) -> str:
    out = io.StringIO()
    call_command("who_can_see", slug, *(["--json"] if as_json else []), stdout=out)
    return out.getvalue()


# --- a link shares one revision ---------------------------------------------------------------


def test_a_later_draft_is_not_shown_through_an_earlier_link(client, link, draft):
    publishing.article_update(actor=SYSTEM, article=draft, title="Rewritten in secret", body="New.")
    page = client.get(preview_url(link[1])).content.decode()
    assert "Secret draft" in page and "Rewritten in secret" not in page
    assert "revision 1 of" in page
    assert "an older version than the current draft" in page


def test_a_later_drafts_new_file_is_the_missing_404_through_an_earlier_link(client, link, draft):
    publishing.asset_attach(
        actor=SYSTEM, article=draft, name="later.png", content=png_upload("later.png")
    )
    later = asset(draft, "later.png")
    assert_same_as_missing(client, client.get(preview_asset_url(link[1], later)))


def test_a_link_to_a_published_article_keeps_its_revision_through_edits_publication_and_withdrawal(
    client, author
):
    article = make_article(
        "live",
        status=Status.PUBLISHED,
        title="Live words",
        files=[png_upload("hero.png")],
        actor=author,
    )
    _, token = publishing.preview_link_issue(actor=author, article=article, label="Check")
    page = client.get(preview_url(token)).content.decode()
    assert "Live words" in page and ", the live version" in page
    publishing.article_update(actor=SYSTEM, article=article, title="Unpublished edit")
    publishing.asset_attach(
        actor=SYSTEM, article=article, name="new.png", content=png_upload("new.png")
    )
    new_file = asset(article, "new.png")
    for change in (None, publishing.article_publish, publishing.article_withdraw):
        if change is not None:
            change(actor=SYSTEM, article=article)
        page = client.get(preview_url(token)).content.decode()
        assert "Live words" in page and "Unpublished edit" not in page
        assert_same_as_missing(client, client.get(preview_asset_url(token, new_file)))
    assert "an older version than the current draft" in page


def test_the_banner_names_the_current_draft(client, link):
    page = client.get(preview_url(link[1])).content.decode()
    assert "Not public — draft — revision 1 of" in page
    assert "the current draft" in page


def test_updating_a_link_shows_the_current_draft_and_is_audited(
    client, link, author, draft, django_capture_on_commit_callbacks
):
    created, token = link
    publishing.asset_attach(
        actor=SYSTEM, article=draft, name="later.png", content=png_upload("later.png")
    )
    with django_capture_on_commit_callbacks(execute=True):
        publishing.preview_link_update(actor=author, link=created)
    assert client.get(preview_asset_url(token, asset(draft, "later.png"))).status_code == 200
    assert "revision 2 of" in client.get(preview_url(token)).content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PREVIEW_UPDATE)
    assert event.actor == author
    assert (event.detail["from_revision"], event.detail["revision"]) == (1, 2)


def test_updating_a_link_needs_the_share_permission(link, draft):
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    editor = make_user("edie", groups=("Editors",))
    with pytest.raises(PermissionDenied):
        publishing.preview_link_update(actor=editor, link=link[0])
    link[0].refresh_from_db()
    assert link[0].revision.number == 1


@pytest.mark.parametrize("spoil", ["current", "revoked"])
def test_updating_refuses_a_link_already_current_or_dead(link, author, draft, spoil):
    if spoil == "revoked":
        publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
        publishing.preview_link_revoke(actor=author, link=link[0])
        message = "no longer works"
    else:
        message = "already shows the current draft"
    with pytest.raises(ValidationError, match=message):
        publishing.preview_link_update(actor=author, link=link[0])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PREVIEW_UPDATE).exists()


def test_the_access_page_button_updates_a_link(client, link, author, draft):
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    client.force_login(author)
    access_url = f"/admin/articles/article/{draft.pk}/access/"
    User.objects.filter(pk=author.pk).update(is_staff=True)
    page = client.get(access_url).content.decode()
    update_url = f"/admin/articles/article/{draft.pk}/share/{link[0].pk}/update/"
    assert update_url in page and "not the current draft" in page
    assert client.get(update_url).status_code == 405
    response = client.post(update_url)
    assert response.status_code == 302 and response["Location"] == access_url
    link[0].refresh_from_db()
    assert link[0].revision_id == Article.objects.get(pk=draft.pk).latest_revision_id
    assert "(the current draft)" in client.get(access_url).content.decode()


def test_the_preview_link_command_updates_a_link(link, draft):
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    out = io.StringIO()
    call_command("preview_link", draft.slug, "--update", str(link[0].pk), stdout=out)
    assert "now shows revision 2" in out.getvalue()
    assert PreviewLink.objects.get(pk=link[0].pk).revision.number == 2


def test_the_preview_link_command_names_an_unknown_link(draft):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--update: “secret-draft” has no share link #999"):
        call_command("preview_link", draft.slug, "--update", "999")


def test_the_access_page_lists_ended_links_with_the_reason_and_not_as_live(
    client, author, draft, collaborator, collaborators_link
):
    collaborator.is_active = False
    collaborator.save()
    User.objects.filter(pk=author.pk).update(is_staff=True)
    client.force_login(author)
    page = client.get(f"/admin/articles/article/{draft.pk}/access/").content.decode()
    live, ended = page.split("Ended before they expired")
    assert "Outside counsel" not in live
    assert "“Outside counsel” by cole: its creator&#x27;s account is deactivated" in ended


def test_the_share_page_tells_an_ended_link_from_an_expired_one(
    client, author, draft, collaborator, collaborators_link, monkeypatch
):
    publishing.preview_link_issue(
        actor=author, article=draft, label="Short", ttl=timedelta(hours=1)
    )
    collaborator.is_active = False
    collaborator.save()
    User.objects.filter(pk=author.pk).update(is_staff=True)
    client.force_login(author)
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = client.get(f"/admin/articles/article/{draft.pk}/share/").content.decode()
    rows = dict(re.findall(r"<td>(Short|Outside counsel)</td>.*?state-(\w+)", page, re.S))
    assert rows == {"Short": "expired", "Outside counsel": "ended"}
