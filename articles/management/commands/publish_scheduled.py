from django.core.management.base import BaseCommand

from articles import publishing
from articles.publishing.tasks import enqueue_daily_audit_if_due


class Command(BaseCommand):
    """Publish scheduled articles that are due and withdraw those whose embargo ended.

    Example (crontab, every minute): * * * * * cd /srv/embargo && .venv/bin/python manage.py publish_scheduled
    Idempotent and safe to overlap: each article is re-checked under a row lock before it changes.
    It also deletes the marked copies of share links that expired (or otherwise stopped working).
    Also enqueues the daily exposure audit (for the worker) when none was recorded in 24 hours.
    """

    help = "Publish what is due and withdraw what has passed its embargo end (run from cron)."

    def handle(self, *args, **options):
        published, withdrawn = publishing.publish_due_articles()
        enqueue_daily_audit_if_due()
        for article in published:
            self.stdout.write(f"published {article.slug} [{article.classification}]")
        for article in withdrawn:
            self.stdout.write(f"withdrew {article.slug} [{article.classification}]")
        if options["verbosity"] > 1 or published or withdrawn:
            self.stdout.write(f"{len(published)} published, {len(withdrawn)} withdrawn.")
        deleted = publishing.marked_copies_of_ended_links_delete()
        if options["verbosity"] > 1 or deleted:
            self.stdout.write(
                f"Deleted {deleted} marked cop{'ies' if deleted != 1 else 'y'} of ended share links."
            )
