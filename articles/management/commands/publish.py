from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import (
    article_named,
    parse_when,
    refused_by_database,
)
from articles.models import Status


class Command(BaseCommand):
    """Publish an article now, or schedule it with --at.

    Example: python manage.py publish the-mythos-leak --at 2026-12-01T09:00+00:00
    """

    help = "Publish SLUG now, or schedule it for --at (ISO 8601, with a time zone)."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--at", metavar="ISO-8601", help="Schedule instead of publishing now.")

    def handle(self, *args, slug: str, at: str | None, **options):
        article = article_named(slug)
        if article.status == Status.WITHDRAWN:
            raise CommandError(
                f"{slug}: is withdrawn; `manage.py republish {slug}` publishes it again."
            )
        when = parse_when(at, "--at") if at else None
        try:
            with refused_by_database(slug, "publish it" if when is None else "schedule it"):
                if when is None:
                    publishing.article_publish(actor=SYSTEM, article=article)
                else:
                    publishing.article_schedule(actor=SYSTEM, article=article, publish_at=when)
        except ValidationError as error:
            raise CommandError(f"{slug}: {publishing.refusal_message(error)}") from None
        if when is None:
            self.stdout.write(f"Published {slug}.")
        else:
            local = timezone.localtime(when).isoformat()
            self.stdout.write(f"Scheduled {slug} for {local}.")
