from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles import backup


class Command(BaseCommand):
    """Write everything the site holds to DIR: rows, revisions, grants, audit trail, every file.

    Example: python manage.py backup /var/backups/embargo/2026-12-01
    DIR must not exist (its parent must) or be empty; it is created 0700, its files 0600.
    Users are written without password hashes. See the README, "Backups".
    """

    help = "Back up every row and every asset file (SHA-256 verified) to DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            summary = backup.backup(directory)
        except backup.BackupError as error:
            raise CommandError(f"backup: {error}") from error
        self.stdout.write(
            f"Backed up {summary.rows} rows and {summary.files} files to {directory}."
        )
