from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import (
    article_named,
    refused_by_database,
)


class Command(BaseCommand):
    """Withdraw a published article: it and its assets are private from the next request.

    Example: python manage.py withdraw the-mythos-leak
    """

    help = "Withdraw the published article SLUG."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")

    def handle(self, *args, slug: str, **options):
        article = article_named(slug)
        try:
            with refused_by_database(slug, "withdraw it"):
                publishing.article_withdraw(actor=SYSTEM, article=article)
        except ValidationError as error:
            raise CommandError(f"{slug}: {publishing.refusal_message(error)}") from None
        self.stdout.write(f"Withdrew {slug}.")
