"""The audit trail: one event per recorded action, naming who (or which link), what and where."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Status
from tests.factories import make_article, make_user, pdf_bytes, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run services as if their transaction committed, so on-commit audit events are written."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def author():
    return make_user("ada", groups=("Authors",))


@pytest.fixture
def draft(author, committed):
    with committed():
        return make_article("draft", files=[png_upload("chart.png")], actor=author)


@pytest.fixture
def reader(draft, committed):
    user = make_user("early", groups=("Early access",))
    with committed():
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=user)
    return user


def last_event(**filters) -> AuditEvent:
    return AuditEvent.objects.filter(**filters).order_by("-at", "-id").first()


def test_create_is_recorded(draft, author):
    event = last_event(article=draft)
    assert (event.action, event.actor, event.actor_name) == ("create", author, "ada")
    assert event.article_slug == "draft"


def test_edit_is_recorded(draft, author, committed):
    with committed():
        publishing.article_update(actor=author, article=draft, title="New title")
    event = last_event(article=draft)
    assert (event.action, event.actor, event.detail) == ("edit", author, {"revision": 2})


def test_asset_attach_is_recorded(draft, author, committed):
    with committed():
        asset = publishing.asset_attach(
            actor=author, article=draft, name="card.pdf", content=pdf_bytes()
        )
    event = last_event(article=draft)
    assert (event.action, event.actor, event.asset) == ("asset_attach", author, asset)
    assert event.detail == {"name": "card.pdf", "sha256": asset.sha256}


@pytest.mark.parametrize("action", ["submit", "schedule", "publish", "withdraw", "return_to_draft"])
def test_each_transition_is_recorded_with_its_actor(action, draft, committed):
    publisher = make_user("pablo", groups=("Publishers",), perms=("change_article",))
    if action == "withdraw":
        publishing.article_publish(actor=SYSTEM, article=draft)
    if action == "return_to_draft":
        publishing.article_submit(actor=SYSTEM, article=draft)
    with committed():
        if action == "schedule":
            when = timezone.now() + timedelta(days=1)
            publishing.article_schedule(actor=publisher, article=draft, publish_at=when)
        else:
            getattr(publishing, f"article_{action}")(actor=publisher, article=draft)
    event = last_event(article=draft)
    assert (event.action, event.actor, event.actor_name) == (action, publisher, "pablo")


def test_scheduled_publication_is_recorded_as_the_system(draft, committed):
    when = timezone.now() + timedelta(days=1)
    publishing.article_schedule(actor=SYSTEM, article=draft, publish_at=when)
    with committed():
        publishing.publish_due_articles(now=when)
    event = last_event(article=draft)
    assert (event.action, event.actor, event.actor_name) == ("publish", None, "system")


def test_grant_and_revoke_are_recorded(draft, author, committed):
    person = make_user("early")
    with committed():
        publishing.access_grant(actor=author, article=draft, perm="view", user=person)
    grant = last_event(article=draft)
    assert (grant.action, grant.actor, grant.detail) == (
        "grant",
        author,
        {"perm": "view", "user": "early", "user_id": person.pk},
    )
    with committed():
        publishing.access_revoke(actor=author, article=draft, perm="view", user=person)
    revoke = last_event(article=draft)
    assert (revoke.action, revoke.actor, revoke.detail) == (
        "revoke",
        author,
        {"perm": "view", "user": "early", "user_id": person.pk},
    )


def test_preview_issue_names_the_issuer_and_the_link(draft, author, committed):
    with committed():
        link, _ = publishing.preview_link_issue(actor=author, article=draft, label="Legal review")
    event = last_event(article=draft)
    assert (event.action, event.actor, event.actor_name) == ("preview_issue", author, "ada")
    assert event.preview_link == link
    assert event.detail["label"] == "Legal review"


def test_preview_revoke_names_the_revoker_and_the_link(draft, author, committed):
    link, _ = publishing.preview_link_issue(actor=author, article=draft, label="Legal review")
    with committed():
        publishing.preview_link_revoke(actor=author, link=link)
    event = last_event(article=draft)
    assert (event.action, event.actor, event.preview_link) == ("preview_revoke", author, link)


def test_revoking_all_links_is_recorded_once_with_the_count(draft, author, committed):
    for label in ("One", "Two"):
        publishing.preview_link_issue(actor=author, article=draft, label=label)
    with committed():
        publishing.preview_links_revoke_all(actor=author, article=draft)
    event = last_event(article=draft)
    assert (event.action, event.actor, event.detail) == (
        "preview_revoke",
        author,
        {"all": True, "count": 2},
    )


def test_opening_a_preview_link_is_recorded_as_its_use(client, draft, author):
    link, token = publishing.preview_link_issue(actor=author, article=draft, label="Legal review")
    client.get(f"/preview/{token}/")
    event = last_event(article=draft)
    assert (event.action, event.actor, event.preview_link) == ("preview_use", None, link)
    assert event.actor_name == f"preview link “Legal review” (#{link.pk})"
    assert event.route == "/preview/…/"  # the token is a credential: never stored


def test_download_through_a_preview_link_is_recorded(client, draft, author):
    link, token = publishing.preview_link_issue(actor=author, article=draft, label="Legal review")
    chart = draft.latest_revision.assets.get()
    client.get(f"/preview/{token}/assets/{chart.token}/{chart.download_name}")
    event = last_event(article=draft)
    assert (event.action, event.asset, event.preview_link) == ("asset_view", chart, link)


@pytest.mark.parametrize("path", ["/articles/draft/", "/articles/draft/draft/"])
def test_a_grant_holders_view_of_a_draft_is_recorded(client, draft, reader, path):
    client.force_login(reader)
    assert client.get(path).status_code == 200
    event = last_event(article=draft)
    assert (event.action, event.actor, event.actor_name, event.route) == (
        "view",
        reader,
        "early",
        path,
    )
    assert event.detail == {"revision": 1}


def test_a_grant_holders_download_of_a_private_asset_is_recorded(client, draft, reader):
    chart = draft.latest_revision.assets.get()
    client.force_login(reader)
    assert client.get(chart.get_absolute_url()).status_code == 200
    event = last_event(article=draft)
    assert (event.action, event.actor, event.asset, event.route) == (
        "asset_view",
        reader,
        chart,
        chart.get_absolute_url(),
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_public_reading_records_nothing(client, signed_in):
    article = make_article("open", status=Status.PUBLISHED, files=[png_upload("hero.png")])
    if signed_in:
        client.force_login(make_user("reader"))
    before = AuditEvent.objects.count()
    hero = article.live_revision.assets.get()
    for path in ("/", "/articles/open/", hero.get_absolute_url()):
        assert client.get(path).status_code == 200
    assert AuditEvent.objects.count() == before


def test_refused_requests_record_nothing(client, draft):
    """A 404 shows nothing, so there is nothing to record (and no oracle in the trail)."""
    before = AuditEvent.objects.count()
    chart = draft.latest_revision.assets.get()
    client.force_login(make_user("nobody"))
    for path in ("/articles/draft/", chart.get_absolute_url(), "/preview/forged:token/"):
        assert client.get(path).status_code == 404
    assert AuditEvent.objects.count() == before


def test_the_trail_survives_the_article(draft):
    """Names are copied into events, so the trail still reads after the article is deleted."""
    Article.objects.filter(pk=draft.pk).delete()
    event = AuditEvent.objects.get(action="create")
    assert (event.article, event.article_slug, event.actor_name) == (None, "draft", "ada")
