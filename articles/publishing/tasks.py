"""Background work on Django's tasks framework, run by `manage.py db_worker` (django-tasks-db).

Scheduling an article enqueues ``publish_due`` to run at its publication time (and again at its
embargo end). The task does not trust its own arguments: it runs the same idempotent catch-up as
`manage.py publish_scheduled`, so a rescheduled, withdrawn or already-published article is simply
not due, and a run the worker missed is done by the next one.
"""

from datetime import datetime

from django.tasks import task


@task()
def publish_due() -> dict[str, list[str]]:
    """Publish what is due now and withdraw what reached its embargo end."""
    from articles import publishing  # workflow enqueues this task: import it when the task runs

    published, withdrawn = publishing.publish_due_articles()
    publishing.marked_copies_of_ended_links_delete()
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
