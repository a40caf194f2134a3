import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles import access, marking
from articles.access import SystemActor
from articles.models import Mark, PreviewLink
from articles.publishing.marks import mark_traced

# Larger than any asset Embargo accepts: a leaked copy is one of its files or a paste.
MAX_BYTES = 200 * 1024 * 1024


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M %Z")


class Command(BaseCommand):
    """Name the share link (its recipient, who issued it and when) that a leaked copy came from.

    Example: python manage.py trace_leak leaked-chart.jpg
             pbpaste | python manage.py trace_leak -      # at least 200 characters of pasted text
    Reads the invisible marks of articles/marking: zero-width fingerprints in text, the watermark in
    images (also after re-encoding as JPEG), the stamp and metadata of PDFs. Exits with status 1
    when the copy carries no mark. Each trace that names a recipient is in the audit trail.
    """

    help = "Trace a leaked copy (text, image or PDF; - reads text from stdin) to its share link."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH|-", help="The leaked file, or - for stdin.")

    def handle(self, *args, path: str, **options):
        kind, mark_id = self._read(path)
        if mark_id is None:
            raise CommandError(
                f"No Embargo mark found in this {kind} ({path}): it was not served through a "
                "share link of this site, or it was altered (cropped, resized, retyped) too much."
            )
        mark = Mark.objects.select_related("preview_link").filter(pk=mark_id).first()
        if mark is None:
            raise CommandError(
                f"The {kind} carries mark #{mark_id}, which this site never made: "
                "a copy from another Embargo site, or a forged mark."
            )
        mark_traced(actor=SystemActor("manage.py trace_leak"), mark=mark, kind=kind)
        self.stdout.write(f"Mark #{mark.pk} found in this {kind}.")
        for line in self._describe(mark):
            self.stdout.write(line)

    def _read(self, path: str) -> tuple[str, int | None]:
        try:
            if path == "-":
                return "text", marking.read_text(self._stdin())
            data = self._bytes(Path(path))
            return marking.read_file(data)
        except marking.UnsupportedCopy as error:
            raise CommandError(f"{path}: {error}") from None

    def _stdin(self) -> str:
        try:
            return sys.stdin.read()
        except UnicodeDecodeError:
            raise CommandError(
                "-: standard input is not UTF-8 text; give an image or PDF as a PATH instead."
            ) from None

    def _bytes(self, path: Path) -> bytes:
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(
                    f"{path}: larger than {MAX_BYTES // 2**20} MB; not a leaked copy."
                )
            return path.read_bytes()
        except IsADirectoryError:
            raise CommandError(f"{path}: is a directory; give a file, or - for stdin.") from None
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror}).") from None

    def _describe(self, mark: Mark) -> list[str]:
        if mark.link_number is None:
            return [
                f"Served to the signed-in reader “{mark.recipient}” of “{mark.article_slug}”, "
                f"first on {_when(mark.created_at)}."
            ]
        lines = [
            f"Share link #{mark.link_number} for “{mark.recipient}” to “{mark.article_slug}”.",
            f"Issued by {mark.issued_by} on {_when(mark.issued_at or mark.created_at)}.",
        ]
        link = PreviewLink.objects.with_state().filter(pk=mark.link_number).first()
        if link is None:
            lines.append("The link no longer exists (its article was deleted).")
            return lines
        ended = access.link_end_reason(link)
        if ended is None:
            lines.append(f"The link still works, until {_when(link.expires_at)}.")
        elif ended == "expired":
            lines.append(f"The link expired on {_when(link.expires_at)}.")
        elif link.revoked_at is not None:
            lines.append(f"The link was ended on {_when(link.revoked_at)}: {ended}.")
        else:
            lines.append(f"The link no longer works: {ended}.")
        return lines
