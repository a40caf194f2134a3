from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.management.commands._shared import progress
from articles.scrubbing import removal_message
from articles.transfer import (
    ArticleFile,
    Imported,
    ImportFailure,
    duplicate_slugs,
    import_article,
    import_run,
    parse_article_file,
)
from articles.transfer.batch import BATCH_SIZE, import_batch, is_batchable


class Command(BaseCommand):
    """Import every ``*.md`` file (YAML front matter + Markdown) in a directory.

    Example: python manage.py import_articles newsroom/export/ --dry-run
    A bad file is reported as ``file: field: message`` and leaves nothing behind, the others are
    imported, and the exit code is 1 if any file failed. New articles without assets, grants or a
    schedule are written up to BATCH_SIZE to a transaction, every file checked before its batch
    is written (``transfer/batch.py``); a batch whose write fails keeps nothing and its files are
    imported one by one, each in its own transaction, as every other file (and a dry run) is.
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
        importable = [item for item in parsed if item.path not in clashes]
        tally = _Tally(failures=failures)  # the same list: the failures of every stage
        with import_run(importable):
            batchable: list[ArticleFile] = []
            one_by_one: list[ArticleFile] = []
            for item in importable:
                (batchable if is_batchable(item) and not dry_run else one_by_one).append(item)
            one_by_one += self._import_batches(batchable, tally)
            one_by_one.sort(key=lambda item: item.path)
            for item in progress(one_by_one, stderr=self.stderr, desc="Importing"):
                try:
                    result = import_article(item, dry_run=dry_run, allow_withdraw=allow_withdraw)
                except ImportFailure as failure:
                    tally.failures.append(failure)
                    continue
                tally.count(result)
                self._report(result)
        for failed in sorted(failures, key=lambda f: f.path):
            self.stderr.write(f"{failed.path.name}: {failed.field}: {failed.message}")
        prefix = "Dry run, nothing saved: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{tally.created} created, {tally.updated} updated, {len(failures)} failed "
            f"({len(paths)} files; {tally.in_batches} written in {tally.batches} batches, "
            "the rest one by one)."
        )
        if failures:
            raise CommandError(f"{len(failures)} of {len(paths)} files failed; see above.")

    def _import_batches(self, batchable: list[ArticleFile], tally: "_Tally") -> list[ArticleFile]:
        """Import ``batchable`` BATCH_SIZE at a time; returns the files left to import one by one."""
        left: list[ArticleFile] = []
        batches = [batchable[n : n + BATCH_SIZE] for n in range(0, len(batchable), BATCH_SIZE)]
        for batch in progress(batches, stderr=self.stderr, desc="Importing batches"):
            outcome = import_batch(batch)
            tally.failures += outcome.failures
            left += outcome.one_by_one
            if outcome.write_error:
                self.stderr.write(
                    f"{batch[0].path.name} to {batch[-1].path.name}: the batch could not be "
                    f"written ({outcome.write_error}); nothing of it was kept, and its files "
                    "are imported one by one."
                )
            elif outcome.imported:
                tally.batches += 1
                tally.in_batches += len(outcome.imported)
            for result in outcome.imported:
                tally.count(result)
                self._report(result)
        return left

    def _report(self, result: Imported) -> None:
        name = result.path.name
        verb = "created" if result.created else "updated"
        self.stdout.write(
            f"{name}: {verb} {result.slug} ({result.status}) [{result.classification}]"
        )
        if result.withdrew:
            self.stdout.write(f"{name}: withdrew {result.slug}: it was published and is no longer")
        for asset_name, removed in result.stripped:
            self.stdout.write(f"{name}: {removal_message(asset_name, removed)}")


@dataclass
class _Tally:
    """What one run did, for its summary line."""

    failures: list[ImportFailure] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    batches: int = 0  # written whole
    in_batches: int = 0  # files in those batches

    def count(self, result: Imported) -> None:
        self.created += result.created
        self.updated += not result.created
