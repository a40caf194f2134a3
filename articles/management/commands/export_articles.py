from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.management.commands._shared import progress
from articles.models import Status
from articles.transfer import articles_to_export, export_article


class Command(BaseCommand):
    """Export articles as Markdown with YAML front matter, assets and grants included.

    Example: python manage.py export_articles backup/ --status published
    Writes DIR/<slug>.md and DIR/<slug>/<file> for each attachment; import_articles reads it back.
    """

    help = "Export articles (with their assets and grants) to DIR in the import_articles format."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", type=Path)
        parser.add_argument("--status", choices=Status.values, help="Only articles in this state.")
        parser.add_argument(
            "--create", action="store_true", help="Create DIR and any missing parent directories."
        )

    def handle(self, *args, directory: Path, status: str | None, create: bool, **options):
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"DIR: “{directory}” exists and is not a directory.")
        if not directory.exists() and not directory.parent.is_dir() and not create:
            raise CommandError(
                f"DIR: “{directory.parent}” does not exist (a mistyped path?); "
                "pass --create to create it."
            )
        directory.mkdir(parents=True, exist_ok=True)
        articles = articles_to_export(status)
        count = 0
        for article in progress(articles, stderr=self.stderr, desc="Exporting"):
            path, notes = export_article(article, directory)
            for note in notes:
                self.stderr.write(note)
            self.stdout.write(f"{path} [{article.classification}]")
            count += 1
        self.stdout.write(f"Exported {count} article{'s' if count != 1 else ''} to {directory}.")
