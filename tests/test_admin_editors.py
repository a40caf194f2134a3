"""The editors' admin as a newsroom uses it: roles, the workflow at a glance, confirmations, revisions,
the audit trail, deleting a draft, and the leak comparisons for every page these add or change."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from articles import publishing
from articles.access import SYSTEM
from articles.admin.comparison import compare_text
from articles.admin.workflow import status_badge
from articles.models import Article, Asset, AuditEvent, PreviewLink, Status
from articles.publishing.drafts import article_delete_draft
from articles.roles import ROLE_DESCRIPTIONS
from articles.storage import asset_storage
from tests.factories import png_upload, staff
from tests.response_shape import assert_same_shape
from tests.test_admin import (
    MISSING_PK,
    admin_url,
    login,
    post_article,
)

pytestmark = pytest.mark.django_db

AUDIT_LIST = "admin:articles_auditevent_changelist"


def page_of(response) -> str:
    return response.content.decode()


# --- roles ----------------------------------------------------------------------------------------


def test_editors_may_create_articles(client, editor):
    """The demo editor's Add button and add page work (the role holds add_article)."""
    login(client, editor)
    assert admin_url("add").encode() in client.get(admin_url("changelist")).content
    response = client.post(
        admin_url("add"), {"title": "Fresh", "slug": "fresh", "summary": "", "body": "Hi."}
    )
    assert response.status_code == 302
    assert Article.objects.get(slug="fresh").author == editor


def test_the_editorial_roles_hold_what_the_migrations_gave_them():
    held = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.filter(name__in=["Authors", "Editors", "Publishers"])
    }
    assert {"add_article", "view_auditevent"} <= held["Editors"]
    assert "view_auditevent" in held["Authors"] and "view_auditevent" in held["Publishers"]


def test_the_access_page_describes_the_roles_in_plain_words(client, author, draft):
    page = page_of(login(client, author).get(admin_url("access", draft.pk)))
    for name, description in ROLE_DESCRIPTIONS.items():
        assert name in page
        assert escape(description[1:]) in page
    assert "Change, publish and share are worth nothing without view." in page


def test_the_group_permission_picker_offers_only_meaningful_permissions(client):
    login(client, staff("root", superuser=True))
    editors = Group.objects.get(name="Editors")
    page = page_of(client.get(reverse("admin:auth_group_change", args=[editors.pk])))
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page)
    assert "Articles | article | Can publish, schedule and withdraw articles" in options
    assert not [option for option in options if "rendition" in option or "session" in option]
    assert len(options) < 25


def test_the_admin_is_branded_embargo(client, editor):
    page = page_of(login(client, editor).get(admin_url("changelist")))
    assert '<div id="site-name"><a href="/admin/">Embargo</a></div>' in page
    assert "Django administration" not in page


# --- the audit trail ------------------------------------------------------------------------------


def test_editors_see_the_trail_of_articles_they_may_read_linked_from_the_article(
    client, editor, draft
):
    login(client, editor)
    change_page = page_of(client.get(admin_url("change", draft.pk)))
    audit_url = f"{reverse(AUDIT_LIST)}?article__id__exact={draft.pk}"
    assert f'href="{audit_url}"' in change_page
    trail = client.get(audit_url)
    assert trail.status_code == 200
    assert "secret-merger" in page_of(trail)


def test_a_trail_filtered_by_a_hidden_article_is_the_empty_trail_of_a_missing_one(client, draft):
    """An author with no right on the draft cannot learn that its events exist."""
    login(client, staff("olga", "Authors"))
    hidden = client.get(reverse(AUDIT_LIST), {"article__id__exact": draft.pk})
    missing = client.get(reverse(AUDIT_LIST), {"article__id__exact": MISSING_PK})
    assert hidden.status_code == 200
    # The filter's own value comes back in its links and in the search form's hidden field.
    assert_same_shape(
        hidden,
        missing,
        asked=[
            (f"article__id__exact={draft.pk}", f"article__id__exact={MISSING_PK}"),
            (f'exact" value="{draft.pk}"', f'exact" value="{MISSING_PK}"'),
        ],
    )
    assert b"secret-merger" not in hidden.content


# --- the workflow at a glance ---------------------------------------------------------------------


def test_a_workflow_button_saves_the_typed_text_then_asks_to_confirm(client, author, draft):
    login(client, author)
    response = post_article(client, draft, title="Typed, not lost", _workflow="submit")
    assert response.status_code == 302
    assert response["Location"] == admin_url("transition", draft.pk, "submit")
    draft.refresh_from_db()
    assert draft.latest_revision.title == "Typed, not lost"
    assert draft.status == Status.DRAFT  # submitted only once confirmed


def test_workflow_buttons_come_after_save_so_enter_still_saves(client, author, draft):
    page = page_of(login(client, author).get(admin_url("change", draft.pk)))
    assert page.index('name="_save"') < page.index('name="_workflow"')


def test_a_save_that_changes_nothing_makes_no_revision(client, author, draft):
    login(client, author)
    assert post_article(client, draft).status_code == 302
    assert draft.revisions.count() == 1


def test_history_has_no_attach_files_line_for_a_save_without_files(client, author, draft):
    login(client, author)
    post_article(client, draft, title="Retitled")
    (entry,) = LogEntry.objects.filter(object_id=str(draft.pk))
    assert "Attach files" not in entry.get_change_message()
    assert entry.get_change_message() == "Changed title."


def test_history_records_publications_schedules_and_withdrawals(client, editor, draft):
    publishing.article_schedule(
        actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(days=2)
    )
    publishing.article_publish(actor=SYSTEM, article=draft)
    publishing.article_withdraw(actor=SYSTEM, article=draft)
    page = page_of(login(client, editor).get(admin_url("history", draft.pk)))
    for words in ("Published", "Withdrawn", "Scheduled", "Created"):
        assert f"<td>{words}</td>" in page


def _schedule(article: Article, *, days: int) -> Article:
    return publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=timezone.now() + timedelta(days=days, hours=1)
    )


def test_the_scheduled_time_and_the_worker_are_on_the_change_page(client, editor, draft):
    _schedule(draft, days=4)
    page = page_of(login(client, editor).get(admin_url("change", draft.pk)))
    assert "Scheduled for " in page and "(in 4 days)" in page
    assert "Goes public at" in page
    assert "manage.py db_worker" in page


def test_the_list_shows_the_schedule_not_an_earlier_withdrawn_publication(client, editor, draft):
    publishing.article_publish(actor=SYSTEM, article=draft)
    publishing.article_withdraw(actor=SYSTEM, article=draft)
    publishing.article_return_to_draft(actor=SYSTEM, article=draft)
    _schedule(draft, days=4)
    page = page_of(login(client, editor).get(admin_url("changelist")))
    assert "(in 4 days)" in page
    published_cell = re.search(r'<td class="field-published[^"]*">(.*?)</td>', page).group(1)
    assert "<time" not in published_cell


def test_status_badge_names_the_scheduled_time_in_the_site_zone():
    now = datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("UTC"))
    article = Article(
        slug="x",
        status=Status.SCHEDULED,
        publish_at=datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("UTC")),
    )
    article.is_public = False
    assert status_badge(article, reads_draft=True, now=now) == (
        "Scheduled for 3 Dec 09:00 UTC (in 4 days)"
    )


def test_saving_a_published_article_says_it_is_not_live_yet(client, editor, published):
    login(client, editor)
    response = post_article(client, published, title="Corrected")
    page = page_of(client.get(response["Location"]))
    assert "these changes are not live until “old-news” is published again" in page
    assert "Live + unpublished changes" in page_of(client.get(admin_url("changelist")))


def test_a_reader_of_the_live_revision_alone_is_not_told_of_unpublished_changes(client, published):
    publishing.article_update(actor=SYSTEM, article=published, title="Hidden correction")
    page = page_of(login(client, staff("olga", "Authors")).get(admin_url("changelist")))
    assert "old-news" in page
    assert "unpublished changes" not in page
    assert "Hidden correction" not in page


def test_the_add_page_fills_the_slug_from_the_title(client, editor):
    page = page_of(login(client, editor).get(admin_url("add")))
    assert re.search(r"admin/js/prepopulate\.[0-9a-f]+\.js", page)
    assert "&quot;id&quot;: &quot;#id_slug&quot;" in page
    assert "&quot;#id_title&quot;" in page


# --- bulk actions ---------------------------------------------------------------------------------


def _bulk(client, action: str, articles, **extra):
    return client.post(
        admin_url("changelist"),
        {"action": action, "_selected_action": [a.pk for a in articles], **extra},
        follow=True,
    )


def test_bulk_submit_reports_which_were_refused_and_why(client, editor, draft, published):
    response = _bulk(login(client, editor), "submit_selected", [draft, published])
    page = page_of(response)
    assert "Submit for review: done for “secret-merger”." in page
    assert "refused for “old-news”:" in page
    assert Article.objects.get(pk=draft.pk).status == Status.IN_REVIEW


def test_bulk_actions_never_touch_or_name_hidden_articles(client, draft):
    outsider = staff("olga", "Authors")
    mine = publishing.article_create(actor=outsider, slug="mine", title="Mine")
    page = page_of(_bulk(login(client, outsider), "submit_selected", [draft, mine]))
    assert "secret-merger" not in page
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT
    assert Article.objects.get(pk=mine.pk).status == Status.IN_REVIEW


def test_bulk_schedule_asks_when_then_schedules_each(client, draft):
    publisher = staff("pat", "Publishers")
    login(client, publisher)
    asked = _bulk(client, "schedule_selected", [draft])
    assert 'type="datetime-local"' in page_of(asked)
    assert escape("In the site's time zone (UTC)") in page_of(asked)
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT
    when = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    _bulk(client, "schedule_selected", [draft], apply="yes", publish_at=when)
    assert Article.objects.get(pk=draft.pk).status == Status.SCHEDULED


def test_bulk_schedule_with_a_bad_time_is_a_form_error(client, draft):
    login(client, staff("pat", "Publishers"))
    page = page_of(_bulk(client, "schedule_selected", [draft], apply="yes", publish_at="soon"))
    assert "Enter a valid date/time." in page
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT


def test_bulk_withdraw_is_confirmed_first(client, published):
    login(client, staff("pat", "Publishers"))
    asked = _bulk(client, "withdraw_selected", [published])
    assert "Withdraw these articles?" in page_of(asked)
    assert Article.objects.get(pk=published.pk).status == Status.PUBLISHED
    _bulk(client, "withdraw_selected", [published], apply="yes")
    assert Article.objects.get(pk=published.pk).status == Status.WITHDRAWN


# --- confirmations and clear landings -------------------------------------------------------------


def test_revoking_a_share_link_is_confirmed_first(client, author, draft):
    link, _token = publishing.preview_link_issue(actor=author, article=draft, label="Legal")
    login(client, author)
    url = admin_url("share_revoke", draft.pk, link.pk)
    assert url in page_of(client.get(admin_url("share", draft.pk)))
    asked = client.get(url)
    assert "Revoke the share link for “Legal”" in page_of(asked)
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None
    assert client.post(url).status_code == 302
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is not None


def test_revoking_all_live_links_is_confirmed_first(client, author, draft):
    link, _token = publishing.preview_link_issue(actor=author, article=draft, label="Legal")
    login(client, author)
    url = admin_url("share_revoke_all", draft.pk)
    assert "Revoke every live share link" in page_of(client.get(url))
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None
    client.post(url)
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is not None


def test_revoking_your_own_share_right_lands_on_the_article_with_a_reason(client, author, draft):
    login(client, author)
    response = client.post(
        admin_url("access", draft.pk),
        {"do": "revoke", "perm": "share", "username": "alice", "confirmed": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == admin_url("change", draft.pk)
    assert "You no longer hold “share” on “secret-merger”" in page_of(response)


def test_a_refusal_in_the_admin_is_a_styled_page(client):
    nobody = staff("nobody")
    response = login(client, nobody).get(admin_url("add"))
    assert response.status_code == 403
    assert "Not allowed" in page_of(response)
    assert "ask an access administrator" in page_of(response)
    assert re.search(r"css/admin-articles\.[0-9a-f]+\.css", page_of(response))


def test_a_refusal_on_the_site_is_the_site_styled_page():
    from articles.web.errors import forbidden

    request = RequestFactory().get("/somewhere/")
    response = forbidden(request)
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert re.search(rb"css/site\.[0-9a-f]+\.css", response.content)


# --- revisions ------------------------------------------------------------------------------------


def test_compare_text_marks_changed_words_only():
    field = compare_text(
        "Body", "The quick brown fox.\nSame line.", "The slow brown fox.\nSame line."
    )
    assert ("removed", "quick") in field.old
    assert ("added", "slow") in field.new
    assert "".join(text for _kind, text in field.new) == "The slow brown fox.\nSame line."


def test_the_comparison_shows_words_tags_and_files_side_by_side(client, editor, draft):
    publishing.article_update(
        actor=editor,
        article=draft,
        title="Secret merger",
        body="Embargoed <b>words</b>.",
        tags=["deals"],
        files=[("chart.png", png_upload("chart.png"))],
        note="Added the chart",
    )
    response = login(client, editor).get(admin_url("revisions", draft.pk), {"old": 1, "new": 2})
    page = page_of(response)
    assert "<ins>deals</ins>" in page
    assert "<ins>chart.png</ins>" in page
    assert "<ins>&lt;b&gt;words&lt;/b&gt;.</ins>" in page
    assert "<del>words.</del>" in page
    assert "<td>Added the chart</td>" in page


def test_revert_from_the_comparison_page(client, editor, draft):
    publishing.article_update(actor=editor, article=draft, title="Worse title")
    login(client, editor)
    page = page_of(client.get(admin_url("revisions", draft.pk), {"old": 1, "new": 2}))
    revert_url = admin_url("revert", draft.pk, 1)
    assert f'action="{revert_url}"' in page
    draft.refresh_from_db()
    assert client.post(revert_url, {"version": draft.version}).status_code == 302
    draft.refresh_from_db()
    assert draft.latest_revision.title == "Secret merger"
    assert draft.latest_revision.number == 3


def test_a_revision_note_is_entered_on_save_and_listed(client, author, draft):
    login(client, author)
    post_article(client, draft, body="New words.", note="Legal's corrections")
    draft.refresh_from_db()
    assert draft.latest_revision.note == "Legal's corrections"
    assert "Legal&#x27;s corrections" in page_of(client.get(admin_url("revisions", draft.pk)))


def test_a_too_long_note_is_a_form_error_and_keeps_the_text(client, author, draft):
    login(client, author)
    response = post_article(client, draft, body="Typed words.", note="x" * 201)
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in page_of(response)
    assert "Typed words." in page_of(response)
    assert draft.revisions.count() == 1


# --- deleting a never-published draft -------------------------------------------------------------


def test_a_never_published_draft_is_deleted_with_its_files_and_audited(
    client, author, draft, django_capture_on_commit_callbacks
):
    asset = publishing.asset_attach(
        actor=author, article=draft, name="chart.png", content=png_upload("chart.png")
    )
    stored = asset.file.name
    login(client, author)
    confirm = client.get(admin_url("delete", draft.pk))
    assert confirm.status_code == 200
    assert "1 file(s), deleted from storage" in page_of(confirm)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url("delete", draft.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=draft.pk).exists()
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert not asset_storage().exists(stored)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DRAFT_DELETE)
    assert (event.article_slug, event.actor_name) == ("secret-merger", "alice")
    assert event.detail["files"] == ["chart.png"]


def test_deleting_needs_the_change_right(draft):
    reader = staff("reader")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    with pytest.raises(PermissionDenied):
        article_delete_draft(actor=reader, article=draft)
    assert Article.objects.filter(pk=draft.pk).exists()


def test_a_published_article_cannot_be_deleted_by_the_service(published):
    with pytest.raises(ValidationError, match="withdraw it instead"):
        article_delete_draft(actor=SYSTEM, article=published)
    assert Article.objects.filter(pk=published.pk).exists()


# --- leak comparisons: every page above, for everyone without a right on the article -------------

ARTICLE_PAGES = [
    ("change", (), {}),
    ("history", (), {}),
    ("delete", (), {}),
    ("access", (), {"do": "revoke", "perm": "view", "username": "alice", "confirmed": "yes"}),
    ("transition", ("schedule",), {}),
    ("transition", ("withdraw",), {}),
    ("revisions", (), {"old": 1, "new": 2}),
    ("revert", (1,), {"version": 1}),
    ("share", (), {}),
    ("share_revoke", ("LINK",), {}),
    ("share_revoke_all", (), {}),
    ("share_update", ("LINK",), {}),
]
# The routes whose leak tests live here (test_leaks.py's route guard reads it).
COVERED_ROUTES = {f"admin:articles_article_{name}" for name, _extra, _data in ARTICLE_PAGES}


def _former_collaborator(article: Article) -> User:
    person = staff("former", "Authors")
    for perm in ("view", "change", "share"):
        publishing.access_grant(actor=SYSTEM, article=article, perm=perm, user=person)
    for perm in ("view", "change", "share"):
        publishing.access_revoke(actor=SYSTEM, article=article, perm=perm, user=person)
    return person


PEOPLE = {
    "outsider": lambda article: None,
    "logged_in_without_staff": lambda article: User.objects.create_user("reader"),
    "staff_without_rights": lambda article: staff("nobody"),
    "staff_with_rights_on_another_article": lambda article: (
        publishing.article_create(
            actor=(other := staff("olga", "Authors")), slug="own", title="Own"
        )
        and other
    ),
    "former_collaborator": _former_collaborator,
}


@pytest.mark.parametrize(("name", "extra", "data"), ARTICLE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_article_pages_answer_as_for_an_article_that_never_existed(
    draft, name, extra, data, method, person
):
    """Status, body, headers in order and cookies: the same as for an id nobody ever used."""
    publishing.article_update(actor=SYSTEM, article=draft, title="Second", body="More words.")
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    client = Client()
    who = PEOPLE[person](draft)
    if who is not None:
        client.force_login(who)
    args = [link.pk if arg == "LINK" else arg for arg in extra]
    hidden = getattr(client, method)(admin_url(name, draft.pk, *args), data)
    missing = getattr(client, method)(admin_url(name, MISSING_PK, *args), data)
    # Not signed in as staff: the login page, naming the page asked for in ?next=.
    assert hidden.status_code in (302, 404)
    assert_same_shape(hidden, missing, asked=[(f"article/{draft.pk}/", f"article/{MISSING_PK}/")])
    draft.refresh_from_db()
    assert (draft.status, draft.revisions.count()) == (Status.DRAFT, 2)
    assert PreviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).exists()


def test_the_migration_widens_the_roles_of_an_existing_database():
    """A database whose roles predate this change gets add_article for Editors and the trail."""
    from importlib import import_module

    from django.apps import apps

    editors = Group.objects.get(name="Editors")
    editors.permissions.remove(
        *editors.permissions.filter(codename__in=["add_article", "view_auditevent"])
    )
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    import_module("articles.migrations.0015_editors_admin").widen_roles(apps, None)
    held = set(editors.permissions.values_list("codename", flat=True))
    assert {"add_article", "view_auditevent", "view_article", "change_article"} <= held
    # Run on the live registry, it leaves it as it was (None would hide every app from the next
    # migrate's post_migrate handlers and from dumpdata, for the rest of the process).
    assert {config.label: config.models_module for config in apps.get_app_configs()} == modules
