"""The editors' admin: object-level 404s, listings through the rule, and writes through the services."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm
from guardian.utils import get_anonymous_user

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, PreviewLink, Status
from tests.factories import png_upload, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

MISSING_PK = 987654


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:articles_article_{name}", args=args)


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def publisher() -> User:
    return staff("pat", "Publishers")


@pytest.fixture
def outsider() -> User:
    """Staff, may write articles of their own, holds nothing on anyone else's."""
    return staff("olga", "Authors")


def post_article(client: Client, article: Article, **changes):
    latest = article.latest_revision
    data = {
        "title": latest.title,
        "summary": latest.summary,
        "body": latest.body,
        "tags": "",
        "loaded_version": article.version,
        "keep_assets": [asset.pk for asset in latest.assets.all()],
        "_save": "Save",
        **changes,
    }
    return client.post(admin_url("change", article.pk), data)


# --- object-level 404 ---------------------------------------------------------------------------

HIDDEN_PAGES = [
    ("change", ()),
    ("history", ()),
    ("delete", ()),
    ("access", ()),
    ("transition", ("submit",)),
    ("revisions", ()),
    ("revert", (1,)),
    ("share", ()),
    ("share_revoke", (1,)),
    ("share_revoke_all", ()),
    ("share_update", (1,)),
    ("classify", ()),
    ("approval_request", ()),
    ("approval_give", (1,)),
]
# The routes whose leak tests live here (test_leaks.py's route guard reads it).
COVERED_ROUTES = {f"admin:articles_article_{name}" for name, _extra in HIDDEN_PAGES} | {
    "admin:view_on_site",
    "admin:autocomplete",
    "admin:articles_article_changelist",
    "admin:articles_auditevent_change",
    "admin:articles_auditevent_changelist",
}


@pytest.mark.parametrize(("name", "extra"), HIDDEN_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_hidden_article_is_the_missing_404(client, outsider, draft, name, extra, method):
    """Every article page answers a user without a grant exactly as for an id that never existed."""
    login(client, outsider)
    hidden = getattr(client, method)(admin_url(name, draft.pk, *extra))
    missing = getattr(client, method)(admin_url(name, MISSING_PK, *extra))
    assert hidden.status_code == 404
    assert_same_shape(hidden, missing)
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.parametrize("person", ["anonymous", "reader"])
def test_admin_without_staff_login_cannot_tell_hidden_from_missing(client, draft, person):
    """Without a staff login every admin page redirects to the admin login, whatever the id."""
    if person == "reader":
        reader = User.objects.create_user("reader")
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
        login(client, reader)
    hidden = client.get(admin_url("change", draft.pk))
    missing = client.get(admin_url("change", MISSING_PK))
    assert hidden.status_code == 302
    assert hidden["Location"].startswith(reverse("admin:login"))
    # The login page's ?next= names the page asked for, so each side masks its own id.
    assert_same_shape(hidden, missing, asked=[(f"article/{draft.pk}/", f"article/{MISSING_PK}/")])


def test_hidden_share_link_revoke_is_404(client, outsider, draft):
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    login(client, outsider)
    response = client.post(admin_url("share_revoke", draft.pk, link.pk))
    assert response.status_code == 404
    assert_same_shape(response, client.post(admin_url("share_revoke", MISSING_PK, link.pk)))
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None


def test_hidden_share_link_update_is_404(client, outsider, draft):
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    login(client, outsider)
    response = client.post(admin_url("share_update", draft.pk, link.pk))
    assert response.status_code == 404
    assert_same_shape(response, client.post(admin_url("share_update", MISSING_PK, link.pk)))
    assert PreviewLink.objects.get(pk=link.pk).revision.number == 1


def view_on_site_url(pk) -> str:
    content_type = ContentType.objects.get_for_model(Article)
    return reverse("admin:view_on_site", args=[content_type.pk, pk])


def test_view_on_site_redirect_does_not_name_hidden_slugs(client, outsider, draft):
    """Django's admin/r/ redirect would reveal any draft's slug; here it is the missing 404."""
    login(client, outsider)
    hidden = client.get(view_on_site_url(draft.pk))
    missing = client.get(view_on_site_url(MISSING_PK))
    assert hidden.status_code == 404
    assert_same_shape(hidden, missing)


def test_view_on_site_redirects_for_visible_articles(client, author, draft):
    response = login(client, author).get(view_on_site_url(draft.pk))
    assert response.status_code == 302
    assert response["Location"].endswith(draft.get_absolute_url())


def test_autocomplete_lists_only_visible_articles(client, outsider, draft, published):
    login(client, outsider)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "revision", "field_name": "article", "term": ""},
    )
    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["old-news"]


def test_changelist_lists_only_visible_articles(client, outsider, draft, published):
    login(client, outsider)
    response = client.get(admin_url("changelist"))
    assert response.status_code == 200
    assert b"old-news" in response.content
    assert b"secret-merger" not in response.content
    assert b"Secret merger" not in response.content


def test_changelist_shows_granted_draft(client, author, draft):
    response = login(client, author).get(admin_url("changelist"))
    assert b"Secret merger" in response.content


def test_changelist_search_does_not_find_hidden_titles(client, outsider, draft):
    response = login(client, outsider).get(admin_url("changelist"), {"q": "merger"})
    assert b"secret-merger" not in response.content


@pytest.mark.parametrize("count", [5, 50])
def test_changelist_query_count_does_not_grow(client, editor, count, django_assert_num_queries):
    for number in range(count):
        article = publishing.article_create(actor=SYSTEM, slug=f"a-{number}", title=f"A {number}")
        if number % 2:
            publishing.article_publish(actor=SYSTEM, article=article)
    login(client, editor)
    with django_assert_num_queries(7):
        response = client.get(admin_url("changelist"))
    assert response.status_code == 200


def test_delete_is_refused_for_an_article_that_was_ever_published(client, editor, draft):
    """Once public, an article is withdrawn, never deleted (it may be in bookmarks and feeds)."""
    publishing.article_publish(actor=SYSTEM, article=draft)
    publishing.article_withdraw(actor=SYSTEM, article=draft)
    response = login(client, editor).post(admin_url("delete", draft.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Article.objects.filter(pk=draft.pk).exists()


# --- the change form ----------------------------------------------------------------------------


def test_add_creates_article_through_the_service(
    client, author, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, author).post(
            admin_url("add"),
            {"slug": "new-story", "title": "New story", "body": "Hello.", "tags": "AI, security"},
        )
    assert response.status_code == 302
    article = Article.objects.get(slug="new-story")
    assert article.latest_revision.title == "New story"
    assert sorted(t.name for t in article.latest_revision.tags.all()) == ["AI", "security"]
    assert author.has_perm("articles.share_article", article)
    assert AuditEvent.objects.filter(article=article, action="create").exists()


def test_add_with_invalid_slug_is_a_form_error(client, author):
    response = login(client, author).post(
        admin_url("add"), {"slug": "Not A Slug", "title": "Bad", "body": ""}
    )
    assert response.status_code == 200
    assert "Use lowercase letters" in response.content.decode()
    assert not Article.objects.exists()


def test_edit_saves_a_new_revision(client, author, draft):
    response = post_article(login(client, author), draft, title="Secret merger, updated")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.latest_revision.number == 2
    assert draft.latest_revision.title == "Secret merger, updated"


def test_stale_form_is_refused_and_keeps_the_typed_text(client, author, editor, draft):
    stale_version = draft.version
    publishing.article_update(
        actor=editor, article=draft, title="Editor's title", expected_version=stale_version
    )
    draft.refresh_from_db()
    response = post_article(
        login(client, author),
        draft,
        title="Author's title",
        body="Words the author typed.",
        loaded_version=stale_version,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "Words the author typed." in page
    assert "Author&#x27;s title" in page
    assert Article.objects.get(pk=draft.pk).latest_revision.title == "Editor's title"


def test_reference_to_unattached_file_is_a_form_error(client, author, draft):
    response = post_article(login(client, author), draft, body="![Chart](missing.png)")
    assert response.status_code == 200
    assert "“missing.png” is referenced in the body but is not attached." in (
        response.content.decode()
    )
    assert Article.objects.get(pk=draft.pk).latest_revision.number == 1


def test_svg_upload_is_refused_naming_the_file(client, author, draft):
    svg = SimpleUploadedFile(
        "logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml"
    )
    response = post_article(login(client, author), draft, uploads=[svg])
    assert response.status_code == 200
    assert "“logo.svg” is not accepted" in response.content.decode()
    assert not draft.assets.exists()


def test_upload_is_attached_privately(client, author, draft):
    response = post_article(
        login(client, author), draft, uploads=[png_upload("chart.png")], body="![c](chart.png)"
    )
    assert response.status_code == 302
    asset = draft.assets.get()
    assert asset.original_name == "chart.png"
    page = client.get(admin_url("change", draft.pk)).content.decode()
    assert "chart.png" in page
    assert "private" in page


def test_viewer_without_change_gets_a_read_only_page(client, draft):
    reader = staff("early", "Early access")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    login(client, reader)
    page = client.get(admin_url("change", draft.pk))
    assert page.status_code == 200
    assert b"Embargoed words." in page.content
    assert b'name="body"' not in page.content
    assert post_article(client, draft, title="Hijack").status_code == 403
    assert Article.objects.get(pk=draft.pk).latest_revision.title == "Secret merger"


# --- access panel -------------------------------------------------------------------------------


def test_access_panel_lists_grants_and_public_state(client, author, draft):
    reader = staff("early", "Early access")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert "early" in page
    assert "Editors" in page
    assert "No: draft" in page


def test_access_panel_says_since_when_a_public_article_is_public(client, published):
    admin_user = staff("root", superuser=True)
    page = login(client, admin_user).get(admin_url("access", published.pk)).content.decode()
    assert "Yes: anyone can read the live revision, public since" in page
    assert str(published.published_at.year) in page


def test_access_panel_says_when_a_scheduled_article_goes_public(client, author, draft):
    publishing.article_schedule(
        actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(days=2)
    )
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert "No: scheduled for " in page


def test_access_panel_offers_a_revoke_button_per_granted_permission(client, author, draft):
    reader = staff("early")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    publishing.access_grant(actor=SYSTEM, article=draft, perm="change", user=reader)
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert page.count('name="username" value="early"') == 2
    assert "Revoke view" in page and "Revoke change" in page


def test_access_panel_lists_a_deactivated_grantee_to_revoke(client, author, draft):
    gone = staff("gone")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=gone)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert "user gone <em>(deactivated" in page
    assert 'name="username" value="gone"' in page


def test_access_panel_lists_global_groups_with_members_and_counts_superusers(client, author, draft):
    staff("eve", "Editors")
    staff("root", superuser=True)
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert "members: eve" in page
    assert "Superusers (every right on every article): 1." in page


def test_access_panel_never_lists_the_anonymous_user(client, author, draft):
    assign_perm("view_article", get_anonymous_user(), draft)
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert get_anonymous_user().get_username() not in page


def test_access_panel_lists_live_share_links(client, author, draft):
    publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal review")
    page = login(client, author).get(admin_url("access", draft.pk)).content.decode()
    assert "“Legal review”" in page


def test_access_panel_needs_share_permission(client, editor, draft):
    assert login(client, editor).get(admin_url("access", draft.pk)).status_code == 403


def test_grant_then_revoke_through_the_panel(client, author, draft):
    reader = User.objects.create_user("reader")
    reader_client = login(Client(), reader)
    article_url = draft.get_absolute_url()
    assert reader_client.get(article_url).status_code == 404
    login(client, author)

    granted = client.post(
        admin_url("access", draft.pk), {"do": "grant", "perm": "view", "username": "reader"}
    )
    assert granted.status_code == 302
    assert reader_client.get(article_url).status_code == 200

    revoking = {"do": "revoke", "perm": "view", "username": "reader"}
    asked = client.post(admin_url("access", draft.pk), revoking)
    assert asked.status_code == 200  # the confirmation page; nothing revoked yet
    assert reader_client.get(article_url).status_code == 200
    revoked = client.post(admin_url("access", draft.pk), {**revoking, "confirmed": "yes"})
    assert revoked.status_code == 302
    assert reader_client.get(article_url).status_code == 404


def test_grant_to_unknown_user_is_a_form_error(client, author, draft):
    response = login(client, author).post(
        admin_url("access", draft.pk), {"do": "grant", "perm": "view", "username": "nobody"}
    )
    assert response.status_code == 200
    assert "There is no user named “nobody”." in response.content.decode()


def test_grant_to_group_by_name(client, author, draft):
    login(client, author).post(
        admin_url("access", draft.pk), {"do": "grant", "perm": "view", "group": "Early access"}
    )
    member = staff("early", "Early access")
    assert Article.objects.visible_to(member).filter(pk=draft.pk).exists()


def test_grant_of_a_permission_the_actor_lacks_is_a_form_error(client, author, draft):
    response = login(client, author).post(
        admin_url("access", draft.pk), {"do": "grant", "perm": "publish", "username": "alice"}
    )
    assert response.status_code == 200
    assert "You do not have permission to grant" in response.content.decode()


# --- workflow -----------------------------------------------------------------------------------


def test_change_page_offers_only_permitted_transitions(client, editor, publisher, draft):
    editor_page = login(client, editor).get(admin_url("change", draft.pk)).content.decode()
    assert 'name="_workflow" value="submit"' in editor_page
    assert 'value="publish"' not in editor_page
    publisher_page = login(client, publisher).get(admin_url("change", draft.pk)).content.decode()
    assert admin_url("transition", draft.pk, "publish") in publisher_page


def test_forbidden_transition_post_changes_nothing(client, editor, draft):
    response = login(client, editor).post(admin_url("transition", draft.pk, "publish"))
    assert response.status_code == 302
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT
    assert not AuditEvent.objects.filter(action="publish").exists()


def test_confirmation_page_get_changes_nothing(client, publisher, draft):
    response = login(client, publisher).get(admin_url("transition", draft.pk, "publish"))
    assert response.status_code == 200
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT


def test_publish_through_the_confirmation_page(client, publisher, draft):
    response = login(client, publisher).post(admin_url("transition", draft.pk, "publish"))
    assert response.status_code == 302
    assert Article.objects.published().filter(pk=draft.pk).exists()


def test_confirmation_post_without_csrf_token_is_refused(publisher, draft):
    client = login(Client(enforce_csrf_checks=True), publisher)
    assert client.post(admin_url("transition", draft.pk, "publish")).status_code == 403
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT


def test_confirmation_post_with_csrf_token_works(publisher, draft):
    client = login(Client(enforce_csrf_checks=True), publisher)
    page = client.get(admin_url("transition", draft.pk, "publish"))
    token = page.context["csrf_token"]
    response = client.post(
        admin_url("transition", draft.pk, "publish"), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Article.objects.get(pk=draft.pk).status == Status.PUBLISHED


@pytest.mark.parametrize("setting_zone", ["Europe/Berlin"])
def test_schedule_reads_times_in_the_site_time_zone(
    client, publisher, draft, settings, setting_zone
):
    settings.TIME_ZONE = setting_zone
    response = login(client, publisher).post(
        admin_url("transition", draft.pk, "schedule"), {"publish_at": "2099-07-01T09:00"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SCHEDULED
    assert draft.publish_at.isoformat() == "2099-07-01T07:00:00+00:00"


def test_the_schedule_form_pins_the_revision_its_page_showed(client, publisher, author, draft):
    """An edit saved between opening the confirmation and submitting it is not what goes out."""
    login(client, publisher)
    page = client.get(admin_url("transition", draft.pk, "schedule")).content.decode()
    assert 'name="revision" value="1"' in page
    publishing.article_update(actor=author, article=draft, title="Secret merger", body="Later.")
    client.post(
        admin_url("transition", draft.pk, "schedule"),
        {"publish_at": "2099-07-01T09:00", "revision": "1"},
    )
    draft.refresh_from_db()
    assert draft.status == Status.SCHEDULED
    assert draft.scheduled_revision.number == 1
    assert draft.latest_revision.number == 2


def test_the_change_page_says_when_the_scheduled_version_differs_from_the_draft(
    client, publisher, author, draft
):
    publishing.article_schedule(
        actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(days=1)
    )
    page = login(client, publisher).get(admin_url("change", draft.pk)).content.decode()
    assert "differs from the working draft" not in page
    publishing.article_update(actor=author, article=draft, title="Secret merger", body="Later.")
    page = client.get(admin_url("change", draft.pk)).content.decode()
    assert "The scheduled version (revision 1) differs from the working draft (revision 2)" in page
    assert admin_url("transition", draft.pk, "schedule") in page


def test_schedule_in_the_past_is_a_form_error(client, publisher, draft):
    response = login(client, publisher).post(
        admin_url("transition", draft.pk, "schedule"), {"publish_at": "2001-01-01T09:00"}
    )
    assert response.status_code == 200
    assert "is not in the future" in response.content.decode()
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT


def test_invalid_transition_is_a_message_not_a_500(client, publisher, published):
    response = login(client, publisher).post(admin_url("transition", published.pk, "submit"))
    assert response.status_code == 302
    assert Article.objects.get(pk=published.pk).status == Status.PUBLISHED


# --- history ------------------------------------------------------------------------------------


def test_revisions_page_lists_live_and_latest(client, editor, published):
    publishing.article_update(actor=editor, article=published, title="Old news, revised")
    page = login(client, editor).get(admin_url("revisions", published.pk)).content.decode()
    assert "Old news, revised" in page
    assert "live" in page and "latest" in page


def test_diff_is_escaped(client, editor, draft):
    publishing.article_update(actor=editor, article=draft, title="t", body="<script>x()</script>")
    response = login(client, editor).get(admin_url("revisions", draft.pk), {"old": 1, "new": 2})
    page = response.content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<script>x()" not in page
    assert "<del>Embargoed words.</del>" in page


def test_revert_creates_a_new_revision(client, editor, draft):
    publishing.article_update(actor=editor, article=draft, title="Changed", body="New words.")
    draft.refresh_from_db()
    login(client, editor)
    assert client.get(admin_url("revert", draft.pk, 1)).status_code == 200
    response = client.post(admin_url("revert", draft.pk, 1), {"version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.latest_revision.number == 3
    assert draft.latest_revision.body == "Embargoed words."
    assert draft.revisions.count() == 3


# --- share links --------------------------------------------------------------------------------


def test_share_link_is_issued_and_shown_once(client, author, draft, settings):
    login(client, author)
    response = client.post(admin_url("share", draft.pk), {"label": "Legal review", "hours": 24})
    assert response.status_code == 200
    link = PreviewLink.objects.get(article=draft)
    url = settings.EMBARGO_BASE_URL + reverse("preview", args=[publishing.preview_token(link)])
    assert url in response.content.decode()
    assert url not in client.get(admin_url("share", draft.pk)).content.decode()
    assert Client().get(url.removeprefix(settings.EMBARGO_BASE_URL)).status_code == 200


def test_share_link_expiry_beyond_the_maximum_is_a_form_error(client, author, draft):
    response = login(client, author).post(
        admin_url("share", draft.pk), {"label": "Legal", "hours": 100_000}
    )
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_share_link_revoke_one_and_all(client, author, draft):
    first, _ = publishing.preview_link_issue(actor=author, article=draft, label="One")
    second, _ = publishing.preview_link_issue(actor=author, article=draft, label="Two")
    login(client, author)
    client.post(admin_url("share_revoke", draft.pk, first.pk))
    first.refresh_from_db(), second.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    client.post(admin_url("share_revoke_all", draft.pk))
    second.refresh_from_db()
    assert second.revoked_at is not None


def test_share_page_needs_share_permission(client, editor, draft):
    login(client, editor)
    assert client.get(admin_url("share", draft.pk)).status_code == 403
    assert client.post(admin_url("share", draft.pk), {"label": "x", "hours": 1}).status_code == 403
    assert not PreviewLink.objects.exists()


# --- audit trail --------------------------------------------------------------------------------


@pytest.fixture
def auditor() -> User:
    return staff("root", superuser=True)


@pytest.fixture
def event(author, draft) -> AuditEvent:
    return publishing.audit_record(action=AuditEvent.Action.EDIT, actor=author, article=draft)


def test_audit_admin_has_no_add(client, auditor):
    response = login(client, auditor).get(reverse("admin:articles_auditevent_add"))
    assert response.status_code == 403


def test_audit_admin_change_is_view_only(client, auditor, event):
    login(client, auditor)
    url = reverse("admin:articles_auditevent_change", args=[event.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"actor_name": "someone else"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "alice"


def test_audit_admin_has_no_delete(client, auditor, event):
    login(client, auditor)
    url = reverse("admin:articles_auditevent_delete", args=[event.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = client.post(
        reverse("admin:articles_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert (
        b'name="action"' not in client.get(reverse("admin:articles_auditevent_changelist")).content
    )


def test_audit_event_of_hidden_article_is_404(client, event):
    viewer = staff("watcher")
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_auditevent"))
    login(client, viewer)
    url = reverse("admin:articles_auditevent_change", args=[event.pk])
    hidden = client.get(url)
    assert hidden.status_code == 404
    missing = client.get(reverse("admin:articles_auditevent_change", args=[MISSING_PK]))
    assert_same_shape(hidden, missing)


def test_audit_admin_shows_only_events_of_articles_granted_to_the_viewer(client, event, published):
    """Public is not enough: a public article's trail names its unpublished draft's files."""
    publishing.audit_record(action=AuditEvent.Action.PUBLISH, actor=SYSTEM, article=published)
    viewer = staff("watcher")
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_auditevent"))
    changelist = reverse("admin:articles_auditevent_changelist")
    page = login(client, viewer).get(changelist)
    assert page.status_code == 200
    assert b"old-news" not in page.content
    publishing.access_grant(actor=SYSTEM, article=published, perm="view", user=viewer)
    page = client.get(changelist)
    assert b"old-news" in page.content
    assert b"secret-merger" not in page.content


def test_superuser_sees_and_edits_every_draft(client, draft):
    """A superuser's list and change page include drafts nobody granted them."""
    login(client, staff("root", superuser=True))
    assert b"Secret merger" in client.get(admin_url("changelist")).content
    assert post_article(client, draft, title="Root's title").status_code == 302
    assert Article.objects.get(pk=draft.pk).latest_revision.title == "Root's title"
