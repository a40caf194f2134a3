from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import (
    article_named,
    refused_by_database,
)
from articles.models import Status


class Command(BaseCommand):
    """Publish a withdrawn article again (`publish` refuses a withdrawn article).

    Example: python manage.py republish the-mythos-leak
    Its latest revision becomes the live one: check it first with `who_can_see` or the admin.
    """

    help = "Publish the withdrawn article SLUG again, now."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")

    def handle(self, *args, slug: str, **options):
        article = article_named(slug)
        if article.status != Status.WITHDRAWN:
            raise CommandError(f"{slug}: is {article.status}, not withdrawn; use `publish` for it.")
        try:
            with refused_by_database(slug, "republish it"), transaction.atomic():
                publishing.article_return_to_draft(actor=SYSTEM, article=article)
                article = publishing.article_publish(actor=SYSTEM, article=article)
        except ValidationError as error:
            raise CommandError(f"{slug}: {publishing.refusal_message(error)}") from None
        article.refresh_from_db()
        live = article.live_revision
        self.stdout.write(f"Republished {slug}: revision {live.number if live else '?'} is live.")
