"""Scheduled publication runs on Django's tasks framework: enqueued with the schedule, run on time.

The task is `publish_scheduled`'s idempotent catch-up, so whatever it is enqueued for, it only ever
publishes what is due and withdraws what has ended.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Status
from articles.publishing.tasks import publish_due
from tests.factories import make_article

TASK_PATH = "articles.publishing.tasks.publish_due"


def queued_at() -> list:
    return sorted(
        DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").values_list(
            "run_after", flat=True
        )
    )


@pytest.fixture
def draft(db):
    return make_article("quiet-harbour")


def test_scheduling_enqueues_the_publication_at_its_time(draft):
    publish_at = timezone.now() + timedelta(hours=2)
    publishing.article_schedule(actor=SYSTEM, article=draft, publish_at=publish_at)
    assert queued_at() == [publish_at]


def test_publishing_with_an_embargo_end_enqueues_the_withdrawal(draft):
    unpublish_at = timezone.now() + timedelta(days=3)
    publishing.article_publish(actor=SYSTEM, article=draft, unpublish_at=unpublish_at)
    assert queued_at() == [unpublish_at]


def test_a_schedule_that_rolls_back_leaves_no_task(draft):
    """The task row is written in the schedule's own transaction: both or neither."""
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.article_schedule(
            actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(hours=1)
        )
        raise RuntimeError("the request failed after scheduling")
    assert queued_at() == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_publishes_on_time_and_withdraws_at_the_embargo_end():
    """db_worker runs the task once its time comes (time is moved by rewriting the rows)."""
    article = make_article("quiet-harbour")
    now = timezone.now()
    publishing.article_schedule(
        actor=SYSTEM,
        article=article,
        publish_at=now + timedelta(hours=1),
        unpublish_at=now + timedelta(hours=5),
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Article.objects.get(pk=article.pk).status == Status.SCHEDULED  # not yet due

    Article.objects.filter(pk=article.pk).update(publish_at=now - timedelta(seconds=1))
    DBTaskResult.objects.filter(task_path=TASK_PATH).update(run_after=now - timedelta(seconds=1))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert queued_at() == [now + timedelta(hours=5)]  # the withdrawal, enqueued by publishing

    Article.objects.filter(pk=article.pk).update(unpublish_at=now - timedelta(seconds=1))
    DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").update(
        run_after=now - timedelta(seconds=1)
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Article.objects.get(pk=article.pk).status == Status.WITHDRAWN


def test_the_task_is_the_idempotent_catch_up(draft):
    """Run early, late or twice, it changes only what is due."""
    publishing.article_schedule(
        actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(hours=1)
    )
    assert publish_due.call() == {"published": [], "withdrawn": []}
    Article.objects.filter(pk=draft.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert publish_due.call() == {"published": ["quiet-harbour"], "withdrawn": []}
    assert publish_due.call() == {"published": [], "withdrawn": []}
