"""The staff commands: each one's happy path and the bad input it refuses with a named argument."""

import io
import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_group_perms, get_user_perms
from guardian.utils import get_anonymous_user

from articles import access, publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, PreviewLink, Status
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def draft():
    return make_article("a-draft", title="A draft")


@pytest.fixture
def reader():
    return make_user("reader")


# --- publish / withdraw --------------------------------------------------------------------------


def test_publish_makes_the_article_public(draft):
    assert "Published a-draft" in run("publish", "a-draft")
    assert Article.objects.published().filter(pk=draft.pk).exists()


def test_publish_at_schedules(draft):
    out = run("publish", "a-draft", "--at", "2099-01-01T09:00+00:00")
    draft.refresh_from_db()
    assert "Scheduled a-draft" in out
    assert (draft.status, draft.publish_at.year) == (Status.SCHEDULED, 2099)


def test_publish_at_rejects_a_bad_date(draft):
    with pytest.raises(CommandError, match="--at: “tomorrow” is not an ISO 8601"):
        run("publish", "a-draft", "--at", "tomorrow")


def test_publish_at_rejects_a_past_time(draft):
    with pytest.raises(CommandError, match="not in the future"):
        run("publish", "a-draft", "--at", "2001-01-01T09:00Z")


def test_publish_unknown_slug_is_named():
    with pytest.raises(CommandError, match="SLUG: there is no article “nope”"):
        run("publish", "nope")


def test_withdraw_takes_a_published_article_down():
    article = make_article("live", status=Status.PUBLISHED)
    assert "Withdrew live" in run("withdraw", "live")
    assert not Article.objects.published().filter(pk=article.pk).exists()


def test_withdraw_refuses_a_draft(draft):
    with pytest.raises(CommandError, match=r"a-draft: .*cannot be withdrawn"):
        run("withdraw", "a-draft")


# --- grant / revoke ------------------------------------------------------------------------------


def test_grant_view_to_a_user(draft, reader):
    assert "Granted view on a-draft to user reader" in run(
        "grant", "view", "a-draft", "--user", "reader"
    )
    assert access.may_read_unpublished(reader, draft)


def test_grant_share_to_a_group(draft):
    run("grant", "share", "a-draft", "--group", "Early access")
    assert list(get_group_perms(Group.objects.get(name="Early access"), draft)) == ["share_article"]


def test_revoke_takes_the_permission_away(draft, reader):
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    assert "Revoked view" in run("revoke", "view", "a-draft", "--user", "reader")
    assert list(get_user_perms(reader, draft)) == []


def test_grant_refuses_an_unknown_permission(draft):
    with pytest.raises(CommandError, match=r"PERM.*invalid choice: 'own'"):
        run("grant", "own", "a-draft", "--user", "reader")


def test_grant_refuses_an_unknown_user(draft):
    with pytest.raises(CommandError, match="--user: there is no user “ghost”"):
        run("grant", "view", "a-draft", "--user", "ghost")


def test_grant_refuses_an_unknown_group(draft):
    with pytest.raises(CommandError, match="--group: there is no group “Ghosts”"):
        run("grant", "view", "a-draft", "--group", "Ghosts")


def test_grant_needs_a_user_or_a_group(draft):
    with pytest.raises(CommandError, match="--user --group"):
        run("grant", "view", "a-draft")


def test_grant_refuses_the_anonymous_user(draft):
    with pytest.raises(CommandError, match="anonymous user"):
        run("grant", "view", "a-draft", "--user", "AnonymousUser")


# --- who_can_see ---------------------------------------------------------------------------------


def test_who_can_see_lists_grants_links_and_state(draft, reader):
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal review")
    make_user("boss").__class__.objects.filter(username="boss").update(is_superuser=True)
    out = run("who_can_see", "a-draft")
    assert "a-draft [standard]: not public (draft)" in out
    assert "user reader: view (article)" in out
    assert "user boss: view, change, publish, share (superuser)" in out
    assert "group Editors: view, change (global)" in out
    assert "“Legal review”" in out


def test_who_can_see_json_says_public_since():
    article = make_article("live", status=Status.PUBLISHED)
    data = json.loads(run("who_can_see", "live", "--json"))
    assert data["public"] is True
    assert data["public_since"] == article.published_at.isoformat()
    assert {"kind": "group", "name": "Publishers", "perms": ["view", "publish"]}.items() <= {
        **next(h for h in data["holders"] if h["name"] == "Publishers")
    }.items()


def test_who_can_see_leaves_out_expired_and_revoked_links(draft):
    link, _ = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Old")
    publishing.preview_link_revoke(actor=SYSTEM, link=link)
    PreviewLink.objects.create(
        article=draft,
        revision=draft.latest_revision,
        issued_by_shell=True,
        label="Expired",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert access.who_can_see(draft).preview_links == ()


def test_who_can_see_never_lists_the_anonymous_user(draft):
    anonymous = get_anonymous_user()
    assign_perm("view_article", anonymous, draft)
    anonymous.groups.add(Group.objects.get(name="Editors"))
    out = run("who_can_see", "a-draft")
    assert anonymous.get_username() not in out


def test_who_can_see_json_lists_deactivated_grantees_apart(draft, reader):
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    reader.__class__.objects.filter(pk=reader.pk).update(is_active=False)
    data = json.loads(run("who_can_see", "a-draft", "--json"))
    assert "reader" not in [h["name"] for h in data["holders"]]
    assert data["dormant"] == [
        {"kind": "user", "name": "reader", "perms": ["view"], "scope": "article"}
    ]


@pytest.mark.parametrize("people", [1, 6])
def test_who_can_see_runs_the_same_queries_however_many_hold_grants(
    draft, people, django_assert_num_queries
):
    for n in range(people):
        user = make_user(f"user{n}", groups=("Editors",), perms=("view_article",))
        group = Group.objects.create(name=f"group{n}")
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=user)
        publishing.access_grant(actor=SYSTEM, article=draft, perm="change", group=group)
        publishing.preview_link_issue(actor=SYSTEM, article=draft, label=f"link {n}")
        user.__class__.objects.filter(pk=user.pk).update(is_superuser=n % 2 == 0)
    with django_assert_num_queries(9):  # the ninth: the holders' live API tokens
        audience = access.who_can_see(draft)
    assert len(audience.on_article) == 2 * people


def test_who_can_see_unknown_slug():
    with pytest.raises(CommandError, match="no article “nope”"):
        run("who_can_see", "nope")


# --- preview links -------------------------------------------------------------------------------


def test_preview_link_prints_a_working_absolute_url(draft, client):
    url = run("preview_link", "a-draft", "--expires", "2h", "--label", "Lawyer").strip()
    assert url.startswith(settings.EMBARGO_BASE_URL + "/preview/")
    link = PreviewLink.objects.get()
    assert link.label == "Lawyer"
    assert timedelta(minutes=119) < link.expires_at - timezone.now() <= timedelta(hours=2)
    assert client.get(url.removeprefix(settings.EMBARGO_BASE_URL)).status_code == 200


@pytest.mark.parametrize("expires", ["soon", "0h", "72", "-1d"])
def test_preview_link_refuses_a_bad_duration(draft, expires):
    with pytest.raises(CommandError, match=r"--expires: .* is not a duration"):
        run("preview_link", "a-draft", f"--expires={expires}", "--label", "Lawyer")


def test_preview_link_refuses_more_than_the_maximum(draft):
    with pytest.raises(CommandError, match="at most"):
        run("preview_link", "a-draft", "--expires", "520w", "--label", "Lawyer")


def test_revoke_previews_stops_every_link(draft, client):
    url = run("preview_link", "a-draft", "--label", "Lawyer").strip()
    assert "Revoked 1 live share link of a-draft" in run("revoke_previews", "a-draft")
    assert client.get(url.removeprefix(settings.EMBARGO_BASE_URL)).status_code == 404


# --- publish_scheduled ---------------------------------------------------------------------------


def schedule(slug: str, *, minutes: int) -> Article:
    article = make_article(slug)
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=timezone.now() + timedelta(minutes=minutes)
    )
    return article


def test_publish_scheduled_publishes_what_is_due_and_is_idempotent(
    django_capture_on_commit_callbacks,
):
    due = schedule("due", minutes=1)
    schedule("later", minutes=60)
    Article.objects.filter(pk=due.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        first = run("publish_scheduled")
        second = run("publish_scheduled")
    assert "published due" in first
    assert second == ""
    assert list(Article.objects.published().values_list("slug", flat=True)) == ["due"]
    assert AuditEvent.objects.filter(article=due, action="publish").count() == 1


def test_publish_scheduled_withdraws_after_the_embargo_end():
    article = make_article("live", status=Status.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(unpublish_at=timezone.now() - timedelta(seconds=1))
    assert "withdrew live" in run("publish_scheduled")
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publish_scheduled_runs_publish_once():
    """Two overlapping cron runs: row locks (SKIP LOCKED) let exactly one of them publish."""
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL for real row locks; the test database is {connection.vendor} "
            "(set DATABASE_URL=postgres://… to run it)"
        )
    due = schedule("due", minutes=1)
    Article.objects.filter(pk=due.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    barrier = threading.Barrier(2)
    outputs = []

    def cron():
        try:
            barrier.wait()
            outputs.append(run("publish_scheduled"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cron) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(out.count("published due") for out in outputs) == 1
    assert AuditEvent.objects.filter(article=due, action="publish").count() == 1
    assert Article.objects.get(pk=due.pk).revisions.count() == 1


# --- audit_log -----------------------------------------------------------------------------------


@pytest.fixture
def trail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = make_article("first", status=Status.PUBLISHED)
        make_article("second")
    AuditEvent.objects.filter(article_slug="second").update(at=timezone.now() + timedelta(days=2))
    return first


def test_audit_log_prints_every_event(trail):
    out = run("audit_log")
    assert "system  create  first" in out
    assert "system  publish  first" in out
    assert "3 events." in out


def test_audit_log_filters_by_article_and_date(trail):
    rows = json.loads(run("audit_log", "--article", "first", "--json"))
    assert [row["action"] for row in rows] == ["create", "publish"]
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    rows = json.loads(run("audit_log", "--since", tomorrow, "--json"))
    assert [(row["article"], row["action"]) for row in rows] == [("second", "create")]


def test_audit_log_rejects_a_bad_date():
    with pytest.raises(CommandError, match="--since: “last week” is not an ISO 8601"):
        run("audit_log", "--since", "last week")


def test_audit_log_rejects_an_unknown_article():
    with pytest.raises(CommandError, match="no article “nope”"):
        run("audit_log", "--article", "nope")
