from django.core.management.base import BaseCommand

from articles import publishing
from articles.publishing.tasks import enqueue_daily_audit_if_due


class Command(BaseCommand):
    """Publish scheduled articles that are due and withdraw those whose embargo ended.

    Example (crontab, every minute): * * * * * cd /srv/embargo && .venv/bin/python manage.py publish_scheduled
    Idempotent and safe to overlap: each article is re-checked under a row lock before it changes.
    Also enqueues the daily exposure audit (for the worker) when none was recorded in 24 hours.
    """

    help = "Publish what is due and withdraw what has passed its embargo end (run from cron)."

    def handle(self, *args, **options):
        published, withdrawn = publishing.publish_due_articles()
        enqueue_daily_audit_if_due()
        for article in published:
            self.stdout.write(f"published {article.slug}")
        for article in withdrawn:
            self.stdout.write(f"withdrew {article.slug}")
        if options["verbosity"] > 1 or published or withdrawn:
            self.stdout.write(f"{len(published)} published, {len(withdrawn)} withdrawn.")
