"""Background work on Django's tasks framework, run by `manage.py db_worker` (django-tasks-db).

Scheduling an article enqueues ``publish_due`` to run at its publication time (and again at its
embargo end). The task does not trust its own arguments: it runs the same idempotent catch-up as
`manage.py publish_scheduled`, so a rescheduled, withdrawn or already-published article is simply
not due, and a run the worker missed is done by the next one.

The same periodic path starts the daily exposure audit: when no run was recorded in the last 24
hours, ``audit_exposure_daily`` is enqueued as a task of its own, so a slow audit never holds up a
publication.
"""

from datetime import datetime

from django.tasks import TaskResultStatus, task
from django.utils import timezone


@task()
def publish_due() -> dict[str, list[str]]:
    """Publish what is due now and withdraw what reached its embargo end."""
    from articles import publishing  # workflow enqueues this task: import it when the task runs

    published, withdrawn = publishing.publish_due_articles()
    publishing.marked_copies_of_ended_links_delete()
    enqueue_daily_audit_if_due()
    return {
        "published": [article.slug for article in published],
        "withdrawn": [article.slug for article in withdrawn],
    }


def publish_due_at(moment: datetime) -> None:
    """Have ``publish_due`` run at ``moment``.

    Called inside the transaction that sets the time: the task is a row in the same database, so it
    commits with the schedule or not at all, and no worker sees it before the schedule is visible.
    """
    publish_due.using(run_after=moment).enqueue()


@task()
def audit_exposure_daily() -> dict[str, int]:
    """Run the exposure audit and record it, as `manage.py audit_exposure --record` does."""
    from articles.exposure.records import recorded_audit
    from articles.models import ExposureRun

    _report, run = recorded_audit(source=ExposureRun.Source.DAILY)
    return {"run": run.pk, "errors": run.errors, "warnings": run.warnings}


def enqueue_daily_audit_if_due(now: datetime | None = None) -> bool:
    """Enqueue the daily audit when no run was recorded in 24 hours and none is waiting or running.

    Called every few minutes (the publish timer), so an audit already queued must not be queued
    again while it runs; one queued over a day ago is taken for lost (a worker died under it).
    """
    from django_tasks_db.models import DBTaskResult

    from articles.exposure.records import DAILY, daily_audit_is_due

    now = now or timezone.now()
    if not daily_audit_is_due(now):
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=audit_exposure_daily.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        enqueued_at__gt=now - DAILY,
    )
    if waiting.exists():
        return False
    audit_exposure_daily.enqueue()
    return True
