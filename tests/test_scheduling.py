"""Scheduled publication and embargo ends, with the clock controlled (never slept)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Status
from articles.publishing import due
from tests.factories import make_article, make_user, png_upload
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


@pytest.fixture
def publish_at():
    return (timezone.now() + timedelta(days=1)).replace(microsecond=0)


@pytest.fixture
def clock(monkeypatch):
    """Set what ``timezone.now()`` returns for the read path (views, querysets, max-age)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        # The page cache expires by the real clock; a moved clock must not be answered from it.
        cache.clear()

    return set_to


@pytest.fixture
def scheduled(publish_at):
    article = make_article("embargoed", body="![chart](chart.png)", files=[png_upload("chart.png")])
    publishing.article_schedule(actor=SYSTEM, article=article, publish_at=publish_at)
    article.refresh_from_db()
    return article


def asset_url(article: Article) -> str:
    return article.latest_revision.assets.get().get_absolute_url()


def assert_same_as_missing(client, response) -> None:
    missing = client.get("/articles/never-existed/")
    assert response.status_code == 404
    assert_same_shape(response, missing)


def test_scheduled_article_is_hidden_one_second_before_its_time(
    client, scheduled, publish_at, clock
):
    """Nothing is due a second early: page and image are the 404 of a missing article."""
    clock(publish_at - SECOND)
    assert publishing.publish_due_articles(now=publish_at - SECOND) == ([], [])
    assert_same_as_missing(client, client.get("/articles/embargoed/"))
    assert_same_as_missing(client, client.get(asset_url(scheduled)))
    assert b"Embargoed" not in client.get("/").content


def test_scheduled_article_is_public_once_due_articles_are_published(
    client, scheduled, publish_at, clock
):
    clock(publish_at)
    published, withdrawn = publishing.publish_due_articles(now=publish_at)
    assert [article.slug for article in published] == ["embargoed"]
    assert withdrawn == []
    assert client.get("/articles/embargoed/").status_code == 200
    assert client.get(asset_url(scheduled)).status_code == 200
    assert b"Embargoed" in client.get("/").content
    assert Article.objects.get(pk=scheduled.pk).published_at == publish_at


def test_publish_scheduled_command_publishes_what_is_due(client, scheduled, publish_at, clock):
    """The cron path (``manage.py publish_scheduled``) reads the clock and publishes."""
    clock(publish_at + SECOND)
    call_command("publish_scheduled", verbosity=0)
    assert Article.objects.get(pk=scheduled.pk).status == Status.PUBLISHED
    assert client.get("/articles/embargoed/").status_code == 200


def test_running_due_publication_twice_publishes_once(
    scheduled, publish_at, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = publishing.publish_due_articles(now=publish_at)
        second, _ = publishing.publish_due_articles(now=publish_at + SECOND)
    assert (len(first), len(second)) == (1, 0)
    assert AuditEvent.objects.filter(article=scheduled, action="publish").count() == 1


def test_a_run_that_overlaps_another_publishes_nothing_twice(
    scheduled, publish_at, monkeypatch, django_capture_on_commit_callbacks
):
    """A run that listed the article as due, then lost the race to another run, skips it."""
    lock_if = due._lock_if
    other_run = []

    def other_run_gets_there_first(pk, *conditions, **lookups):
        monkeypatch.setattr(due, "_lock_if", lock_if)
        other_run.extend(publishing.publish_due_articles(now=publish_at)[0])
        return lock_if(pk, *conditions, **lookups)

    monkeypatch.setattr(due, "_lock_if", other_run_gets_there_first)
    with django_capture_on_commit_callbacks(execute=True):
        published, _ = publishing.publish_due_articles(now=publish_at)
    assert published == []
    assert [article.slug for article in other_run] == ["embargoed"]
    assert AuditEvent.objects.filter(article=scheduled, action="publish").count() == 1


@pytest.fixture
def with_embargo_end(publish_at):
    """Published at ``publish_at`` with an embargo end an hour later; cron never runs again."""
    article = make_article("short-lived", files=[png_upload("chart.png")])
    unpublish_at = publish_at + timedelta(hours=1)
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=publish_at, unpublish_at=unpublish_at
    )
    publishing.publish_due_articles(now=publish_at)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    return article


def test_embargo_end_is_enforced_by_the_read_path_alone(client, with_embargo_end, clock):
    """Past ``unpublish_at`` the page, its image and its home-page entry are gone, cron or not."""
    end = with_embargo_end.unpublish_at
    clock(end - SECOND)
    assert client.get("/articles/short-lived/").status_code == 200
    assert client.get(asset_url(with_embargo_end)).status_code == 200
    assert b"Short lived" in client.get("/").content

    clock(end)
    assert Article.objects.get(pk=with_embargo_end.pk).status == Status.PUBLISHED
    assert_same_as_missing(client, client.get("/articles/short-lived/"))
    assert_same_as_missing(client, client.get(asset_url(with_embargo_end)))
    assert b"Short lived" not in client.get("/").content


def test_public_pages_are_not_cached_past_the_next_embargo_end(client, with_embargo_end, clock):
    clock(with_embargo_end.unpublish_at - 10 * SECOND)
    response = client.get("/")
    assert "max-age=10" in response["Cache-Control"]


@pytest.fixture
def steady(with_embargo_end):
    """A public article without an embargo end, tagged, with an image, next to ``short-lived``."""
    article = make_article(
        "steady", tags=["Harbour"], body="![map](map.png)", files=[png_upload("map.png")]
    )
    publishing.article_publish(actor=SYSTEM, article=article, now=with_embargo_end.published_at)
    article.refresh_from_db()
    return article


@pytest.mark.parametrize(
    "url",
    [
        "/articles/steady/",
        "asset of steady",
        "/tags/harbour/",
        "/tags/",
        "/search/?q=steady",
        "/robots.txt",
    ],
)
def test_a_response_does_not_count_down_to_another_articles_embargo_end(
    client, with_embargo_end, steady, clock, settings, url
):
    """Its lifetime depends only on what it shows: nothing here shows ``short-lived``."""
    clock(with_embargo_end.unpublish_at - 10 * SECOND)
    if url == "asset of steady":
        url = asset_url(steady)
    response = client.get(url)
    assert response.status_code == 200
    assert f"max-age={settings.EMBARGO_PUBLIC_MAX_AGE}" in response["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        "/articles/short-lived/",
        "asset of short-lived",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/feeds/rss/",
    ],
)
def test_a_response_showing_an_article_counts_down_to_its_embargo_end(
    client, with_embargo_end, steady, clock, url
):
    clock(with_embargo_end.unpublish_at - 10 * SECOND)
    if url == "asset of short-lived":
        url = asset_url(with_embargo_end)
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=10" in response["Cache-Control"]


def test_due_run_withdraws_articles_whose_embargo_ended(with_embargo_end):
    end = with_embargo_end.unpublish_at
    published, withdrawn = publishing.publish_due_articles(now=end)
    assert (published, [article.slug for article in withdrawn]) == ([], ["short-lived"])
    assert Article.objects.get(pk=with_embargo_end.pk).status == Status.WITHDRAWN


def test_a_late_run_does_not_publish_an_article_whose_window_has_passed(publish_at):
    """Cron down for the whole window: the article is never published, and the run goes on."""
    missed = make_article("missed")
    publishing.article_schedule(
        actor=SYSTEM,
        article=missed,
        publish_at=publish_at,
        unpublish_at=publish_at + timedelta(hours=1),
    )
    due = make_article("due")
    publishing.article_schedule(actor=SYSTEM, article=due, publish_at=publish_at)
    published, _ = publishing.publish_due_articles(now=publish_at + timedelta(hours=2))
    assert [article.slug for article in published] == ["due"]
    assert Article.objects.get(pk=missed.pk).status == Status.SCHEDULED


def test_schedule_refuses_a_time_in_the_past(publish_at):
    article = make_article("story")
    with pytest.raises(Exception, match="not in the future"):
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=publish_at, now=publish_at
        )
    assert Article.objects.get(pk=article.pk).status == Status.DRAFT


def test_schedule_refuses_an_embargo_end_before_publication(publish_at):
    article = make_article("story")
    with pytest.raises(Exception, match="embargo end must be after"):
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=publish_at, unpublish_at=publish_at
        )


def test_schedule_refuses_a_naive_time(publish_at):
    article = make_article("story")
    with pytest.raises(Exception, match="needs a time zone"):
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=publish_at.replace(tzinfo=None)
        )


def test_times_are_stored_in_utc():
    """09:00 in Berlin (summer) is stored as 07:00 UTC, whatever the site's time zone."""
    berlin = datetime(2099, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    article = make_article("story")
    publishing.article_schedule(actor=SYSTEM, article=article, publish_at=berlin)
    with connection.cursor() as cursor:
        cursor.execute("SELECT publish_at FROM articles_article WHERE id = %s", [article.pk])
        (raw,) = cursor.fetchone()
    assert str(raw).startswith("2099-07-01 07:00:00")
    stored = Article.objects.get(pk=article.pk).publish_at
    assert stored == datetime(2099, 7, 1, 7, 0, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_rescheduling_after_an_embargo_ended_starts_a_new_window(with_embargo_end):
    """An old embargo end never carries over into a new schedule (it would block publication)."""
    publishing.publish_due_articles(now=with_embargo_end.unpublish_at)
    publishing.article_return_to_draft(actor=SYSTEM, article=with_embargo_end)
    again = timezone.now() + timedelta(days=3)
    publishing.article_schedule(actor=SYSTEM, article=with_embargo_end, publish_at=again)
    assert Article.objects.get(pk=with_embargo_end.pk).unpublish_at is None
    published, _ = publishing.publish_due_articles(now=again)
    assert [article.slug for article in published] == ["short-lived"]


def test_an_article_whose_embargo_ended_can_be_published_again_after_return_to_draft():
    article = make_article("short-lived", status=Status.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(unpublish_at=timezone.now() - SECOND)
    publishing.publish_due_articles()
    with pytest.raises(Exception, match="cannot be published from that state"):
        publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_return_to_draft(actor=SYSTEM, article=article)
    assert Article.objects.get(pk=article.pk).unpublish_at is None
    publishing.article_publish(actor=SYSTEM, article=article)
    assert Article.objects.published().filter(pk=article.pk).exists()


# --- the scheduled revision is pinned: a later edit is not published at the scheduled time -------


@pytest.fixture
def edited_after_scheduling(scheduled):
    """An author with change (not publish) rewrote the scheduled article and attached a file."""
    author = make_user("sched-author")
    for perm in ("view", "change"):
        publishing.access_grant(actor=SYSTEM, article=scheduled, perm=perm, user=author)
    assert not publishing.has_article_permission(author, "publish_article", scheduled)
    publishing.article_update(
        actor=author,
        article=scheduled,
        title="Embargoed",
        body="Unapproved words. ![chart](chart.png) ![late](late.png)",
        files=[("late.png", png_upload("late.png", colour="blue"))],
    )
    scheduled.refresh_from_db()
    return scheduled


def test_the_due_publication_publishes_the_scheduled_revision_not_a_later_edit(
    client, edited_after_scheduling, publish_at, clock
):
    article = edited_after_scheduling
    scheduled_revision = article.scheduled_revision
    clock(publish_at)
    publishing.publish_due_articles(now=publish_at)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.live_revision == scheduled_revision != article.latest_revision
    page = client.get("/articles/embargoed/")
    assert page.status_code == 200
    assert b"Unapproved words" not in page.content


def test_files_attached_after_scheduling_stay_private_when_it_is_published(
    client, edited_after_scheduling, publish_at, clock
):
    article = edited_after_scheduling
    clock(publish_at)
    publishing.publish_due_articles(now=publish_at)
    late = article.assets.get(original_name="late.png")
    chart = article.assets.get(original_name="chart.png")
    assert client.get(chart.get_absolute_url()).status_code == 200
    assert_same_as_missing(client, client.get(late.get_absolute_url()))


def test_the_task_and_the_command_publish_the_scheduled_revision(edited_after_scheduling, clock):
    """The worker's task and ``publish_scheduled`` are the same catch-up: both publish the pin."""
    from articles.publishing.tasks import publish_due

    article = edited_after_scheduling
    pinned = article.scheduled_revision_id
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - SECOND)
    assert publish_due.call()["published"] == ["embargoed"]
    assert Article.objects.get(pk=article.pk).live_revision_id == pinned

    other = make_article("second-embargoed", body="Approved.")
    publishing.article_schedule(
        actor=SYSTEM, article=other, publish_at=timezone.now() + SECOND * 60
    )
    publishing.article_update(actor=SYSTEM, article=other, title="Second", body="Later edit.")
    other.refresh_from_db()
    Article.objects.filter(pk=other.pk).update(publish_at=timezone.now() - SECOND)
    call_command("publish_scheduled", verbosity=0)
    other.refresh_from_db()
    assert other.live_revision.body == "Approved."


def test_the_publish_command_with_at_pins_the_current_revision(scheduled, publish_at):
    article = make_article("cli-scheduled", body="Approved on the command line.")
    call_command("publish", "cli-scheduled", "--at", publish_at.isoformat(), verbosity=0)
    article.refresh_from_db()
    assert article.scheduled_revision == article.latest_revision
    publishing.article_update(actor=SYSTEM, article=article, title="Cli", body="Later.")
    publishing.publish_due_articles(now=publish_at)
    article.refresh_from_db()
    assert article.live_revision.body == "Approved on the command line."


def test_a_scheduled_article_edited_since_offers_scheduling_again(edited_after_scheduling):
    """Only to a publisher, and only while the draft differs: rescheduling pins the new draft."""
    article = edited_after_scheduling
    publisher = make_user("sched-publisher", groups=("Publishers",))
    author = make_user("sched-author-2")
    publishing.access_grant(actor=SYSTEM, article=article, perm="change", user=author)
    assert publishing.scheduled_differs_from_draft(article)
    assert "schedule" in publishing.allowed_actions(actor=publisher, article=article)
    assert "schedule" not in publishing.allowed_actions(actor=author, article=article)
    publishing.article_schedule(
        actor=publisher, article=article, publish_at=article.publish_at + SECOND
    )
    article.refresh_from_db()
    assert article.scheduled_revision == article.latest_revision
    assert not publishing.scheduled_differs_from_draft(article)
    assert "schedule" not in publishing.allowed_actions(actor=publisher, article=article)


def test_leaving_the_schedule_unpins_it(scheduled):
    publishing.article_return_to_draft(actor=SYSTEM, article=scheduled)
    scheduled.refresh_from_db()
    assert scheduled.scheduled_revision is None
