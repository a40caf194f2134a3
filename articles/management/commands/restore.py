from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles import backup


class Command(BaseCommand):
    """Restore a `manage.py backup` directory into a freshly migrated, empty database.

    Example: python manage.py migrate && python manage.py restore /var/backups/embargo/2026-12-01
    Every hash is verified before anything is written; on any failure nothing stays written.
    Restored accounts have unusable passwords: each needs a password reset.
    """

    help = "Restore a backup made by `manage.py backup` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            summary = backup.restore(directory)
        except backup.BackupError as error:
            raise CommandError(f"restore: {error}") from error
        self.stdout.write(
            f"Restored {summary.rows} rows and {summary.files} files from {directory}. "
            "Every account needs a password reset (python manage.py changepassword USER)."
        )
