import json

from django.core.management.base import BaseCommand, CommandError

from articles.exposure import BadBaseURL, Report, run_audit
from articles.exposure.records import recorded_audit
from articles.management.commands._shared import progress
from articles.models import ExposureRun


class Command(BaseCommand):
    """Try every way in as an outsider; exit 1 if anything unpublished leaks or the setup exposes it.

    Example: python manage.py audit_exposure                      # in-process, no server needed
             python manage.py audit_exposure --base-url https://news.example.org --json
             python manage.py audit_exposure --record   # kept for the admin's Exposure page
    """

    help = (
        "Audit the configuration and probe every route for non-public articles and assets; "
        "exit code 1 on any leak or configuration error."
    )
    # The audit reports misconfigurations itself; refusing to start on them would hide the report.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="Probe a running deployment over HTTP instead of in-process.",
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable report.")
        parser.add_argument(
            "--record",
            action="store_true",
            help="Store the run and its findings for the admin's Exposure page.",
        )

    def handle(
        self, *args, base_url: str | None, json: bool = False, record: bool = False, **options
    ):
        def bar(iterable, *, total, desc):
            return progress(iterable, stderr=self.stderr, total=total, desc=desc)

        try:
            if record:
                report, run = recorded_audit(
                    source=ExposureRun.Source.COMMAND, base_url=base_url, progress=bar
                )
                # stderr, so that --json output stays one JSON document.
                self.stderr.write(f"Recorded as exposure run #{run.pk}.")
            else:
                report = run_audit(base_url=base_url, progress=bar)
        except BadBaseURL as error:
            raise CommandError(f"--base-url: {error}") from None
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            self.write_table(report)
        if report.exit_code:
            raise CommandError(
                f"{len(report.errors)} leak(s) or configuration error(s) found.", returncode=1
            )

    def write_table(self, report: Report) -> None:
        columns = ("severity", "object", "url", "vector", "evidence")
        rows = [[getattr(f, c) or "-" for c in columns] for f in report.findings]
        widths = [
            min(40, max([len(c)] + [len(row[i]) for row in rows])) for i, c in enumerate(columns)
        ]
        if rows:
            header = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
            self.stdout.write(header)
            for row in rows:
                cells = [
                    value.ljust(width) if i < len(columns) - 1 else value
                    for i, (value, width) in enumerate(zip(row, widths, strict=True))
                ]
                self.stdout.write("  ".join(cells))
        verdict = "LEAKS FOUND" if report.errors else "clean"
        self.stdout.write(
            f"{verdict}: {len(report.errors)} error(s), "
            f"{len(report.findings) - len(report.errors)} warning(s); "
            f"{report.objects} non-public objects checked with {report.requests} requests."
        )


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
