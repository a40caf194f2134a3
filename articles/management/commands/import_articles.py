from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.management.commands._shared import progress
from articles.scrubbing import removal_message
from articles.transfer import (
    ImportFailure,
    duplicate_slugs,
    import_article,
    import_run,
    parse_article_file,
)


class Command(BaseCommand):
    """Import every ``*.md`` file (YAML front matter + Markdown) in a directory.

    Example: python manage.py import_articles newsroom/export/ --dry-run
    Each file is imported in its own transaction: a bad file is reported as ``file: field: message``
    and leaves nothing behind, the others are imported, and the exit code is 1 if any file failed.
    Re-importing a slug adds a new revision to the existing article. Metadata (EXIF GPS, camera,
    software; PDF author, creator …) is stripped from the assets, and each stripped file is listed.
    """

    help = "Import Markdown articles with YAML front matter (and their assets) from DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and import, then roll everything back."
        )
        parser.add_argument(
            "--allow-withdraw",
            action="store_true",
            help="Let a file with a status other than published withdraw a published article.",
        )

    def handle(self, *args, directory: Path, dry_run: bool, allow_withdraw: bool, **options):
        if not directory.is_dir():
            raise CommandError(f"DIR: “{directory}” is not a directory.")
        paths = sorted(directory.glob("*.md"))
        if not paths:
            raise CommandError(f"DIR: “{directory}” contains no .md files.")
        failures: list[ImportFailure] = []
        parsed = []
        for path in paths:
            try:
                parsed.append(parse_article_file(path))
            except ImportFailure as failure:
                failures.append(failure)
        clashes = duplicate_slugs(parsed)
        failures += [ImportFailure(path, "slug", message) for path, message in clashes.items()]
        created = updated = 0
        importable = [item for item in parsed if item.path not in clashes]
        with import_run(importable):
            for item in progress(importable, stderr=self.stderr, desc="Importing"):
                try:
                    result = import_article(item, dry_run=dry_run, allow_withdraw=allow_withdraw)
                except ImportFailure as failure:
                    failures.append(failure)
                    continue
                created += result.created
                updated += not result.created
                self._report(item, result)
        for failed in sorted(failures, key=lambda f: f.path):
            self.stderr.write(f"{failed.path.name}: {failed.field}: {failed.message}")
        prefix = "Dry run, nothing saved: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{created} created, {updated} updated, {len(failures)} failed "
            f"({len(paths)} files)."
        )
        if failures:
            raise CommandError(f"{len(failures)} of {len(paths)} files failed; see above.")

    def _report(self, item, result) -> None:
        verb = "created" if result.created else "updated"
        self.stdout.write(
            f"{item.path.name}: {verb} {result.slug} ({result.status}) [{result.classification}]"
        )
        if result.withdrew:
            self.stdout.write(
                f"{item.path.name}: withdrew {result.slug}: it was published and is no longer"
            )
        for name, removed in result.stripped:
            self.stdout.write(f"{item.path.name}: {removal_message(name, removed)}")
