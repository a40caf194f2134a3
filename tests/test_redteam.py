"""Red-team findings: each test is one confirmed way unpublished content reached someone it should not.

A test marked ``xfail(strict=True)`` documents a leak that is still open; whoever fixes it removes the mark.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import publishing
from articles.access import PREVIEW_SALT, SYSTEM
from articles.models import Article, AuditEvent
from tests.factories import make_article, make_user, png_upload, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

MISSING_PK = 987654
DRAFT_TITLE = "Zebra acquisition headline"
DRAFT_BODY = "Unannounced zebra paragraph."


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:articles_article_{name}", args=args)


@pytest.fixture
def outsider(client: Client) -> Client:
    """A signed-in staff author holding nothing on anyone else's article."""
    client.force_login(staff("olga", "Authors"))
    return client


@pytest.fixture
def live_with_draft() -> Article:
    """A published article whose working draft carries an unpublished edit."""
    article = make_article("old-news", status="published", title="Old news", body="Known.")
    publishing.article_update(actor=SYSTEM, article=article, title=DRAFT_TITLE, body=DRAFT_BODY)
    article.refresh_from_db()
    return article


# --- admin: the working draft of a public article ----------------------------------------------


def test_admin_changelist_shows_only_the_live_title_without_a_grant(outsider, live_with_draft):
    page = outsider.get(admin_url("changelist")).content.decode()
    assert "Old news" in page
    assert DRAFT_TITLE not in page


@pytest.mark.parametrize("term", ["Zebra", "Old"])
def test_admin_search_matches_live_titles_only_without_a_grant(outsider, live_with_draft, term):
    """Searching the working draft's words would answer "does the draft say X?"."""
    page = outsider.get(admin_url("changelist"), {"q": term}).content.decode()
    assert ("old-news" in page) is (term == "Old")


def test_admin_autocomplete_does_not_search_the_working_draft(outsider, live_with_draft):
    params = {"app_label": "articles", "model_name": "revision", "field_name": "article"}
    found = outsider.get(reverse("admin:autocomplete"), {**params, "term": "Zebra"})
    assert found.status_code == 200
    assert found.json()["results"] == []


@pytest.mark.parametrize("lookup", ["version__gt", "updated_at__gt", "latest_revision"])
def test_admin_filters_cannot_tell_which_public_article_has_a_draft(
    outsider, live_with_draft, lookup
):
    """Lookups the list does not offer would single out the article with an unpublished edit."""
    quiet = make_article("quiet-news", status="published", title="Quiet news")
    value = {
        "version__gt": quiet.version,
        "updated_at__gt": quiet.updated_at.isoformat(),
        "latest_revision": live_with_draft.latest_revision_id,
    }[lookup]
    response = outsider.get(admin_url("changelist"), {lookup: value})
    assert response.status_code == 400


def test_admin_list_hides_when_a_public_article_was_last_edited(outsider, live_with_draft):
    changelist = outsider.get(admin_url("changelist"))
    (row,) = changelist.context["cl"].result_list
    assert row.shown_updated_at is None


@pytest.mark.parametrize("page", ["change", "revisions", "history"])
def test_admin_pages_of_a_public_article_need_a_grant(outsider, live_with_draft, page):
    """Each of these shows the working draft: for a reader of the live revision it is the 404."""
    shown = outsider.get(admin_url(page, live_with_draft.pk))
    missing = outsider.get(admin_url(page, MISSING_PK))
    assert shown.status_code == 404
    assert_same_shape(shown, missing)
    assert DRAFT_BODY not in shown.content.decode()


def test_admin_grant_holder_still_sees_the_working_draft(client, live_with_draft):
    editor = staff("eddie", "Editors")
    client.force_login(editor)
    assert DRAFT_TITLE in client.get(admin_url("changelist")).content.decode()
    assert DRAFT_BODY in client.get(admin_url("change", live_with_draft.pk)).content.decode()


# --- share links after the embargo end -------------------------------------------------------------


def test_share_link_stays_dead_after_publish_scheduled_withdraws_the_article(client, monkeypatch):
    """Past ``unpublish_at`` the link is a 404; the cron run that withdraws it must not revive it."""
    author = make_user("al", groups=("Authors",))
    start = timezone.now() + timedelta(hours=1)
    article = make_article("ended", actor=author)
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=start, unpublish_at=start + timedelta(hours=1)
    )
    publishing.publish_due_articles(now=start)
    _, token = publishing.preview_link_issue(actor=author, article=article, label="Check")
    later = start + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    publishing.publish_due_articles(now=later)
    article.refresh_from_db()
    assert article.status == "withdrawn"
    revived = client.get(reverse("preview", args=[token]))
    missing = client.get(reverse("preview", args=[signing.Signer(salt=PREVIEW_SALT).sign("x")]))
    assert revived.status_code == 404
    assert_same_shape(revived, missing)


# --- audit admin -----------------------------------------------------------------------------------


def test_audit_admin_hides_unpublished_details_of_public_articles(
    client, live_with_draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publishing.asset_attach(
            actor=SYSTEM,
            article=live_with_draft,
            name="acme-term-sheet.png",
            content=png_upload("acme-term-sheet.png"),
        )
        publishing.preview_link_issue(
            actor=SYSTEM, article=live_with_draft, label="Acme legal team"
        )
    watcher = staff("watcher")
    watcher.user_permissions.add(*Permission.objects.filter(codename="view_auditevent"))
    client.force_login(watcher)
    for event in AuditEvent.objects.all():
        page = client.get(reverse("admin:articles_auditevent_change", args=[event.pk]))
        assert b"acme-term-sheet" not in page.content
        assert b"Acme legal team" not in page.content


# --- the page cache across processes ---------------------------------------------------------------


def test_withdrawal_from_another_process_stops_the_cached_page(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    article = make_article("old-news", status="published", title="Old news")
    assert client.get(article.get_absolute_url()).status_code == 200  # now in the page cache
    # The withdraw command runs in its own process, with its own local-memory cache: the purge
    # must reach this process through the database, never through this process's cache.
    monkeypatch.setattr("django.core.cache.cache", LocMemCache("command-process", {}))
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    monkeypatch.undo()
    assert client.get(article.get_absolute_url()).status_code == 404


# --- share-link tokens in the audit trail ------------------------------------------------------------


def test_audit_trail_does_not_hand_out_share_link_tokens(client, live_with_draft):
    """A watcher of the audit trail without a grant must not find a working share URL in it."""
    asset = publishing.asset_attach(
        actor=SYSTEM, article=live_with_draft, name="chart.png", content=png_upload("chart.png")
    )
    _, token = publishing.preview_link_issue(actor=SYSTEM, article=live_with_draft, label="Legal")
    Client().get(reverse("preview", args=[token]))
    Client().get(reverse("preview-asset", args=[token, asset.token, asset.download_name]))
    watcher = staff("watcher")
    watcher.user_permissions.add(*Permission.objects.filter(codename="view_auditevent"))
    client.force_login(watcher)
    trail = client.get(reverse("admin:articles_auditevent_changelist")).content.decode()
    assert AuditEvent.objects.filter(action__in=["preview_use", "asset_view"]).count() == 2
    assert token not in trail
    assert not AuditEvent.objects.filter(route__contains=token).exists()
