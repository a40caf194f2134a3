import json

from django.core.management.base import BaseCommand, CommandError

from articles.exposure import BadBaseURL, Report, run_audit
from articles.management.commands._shared import progress


class Command(BaseCommand):
    """Try every way in as an outsider; exit 1 if anything unpublished leaks or the setup exposes it.

    Example: python manage.py audit_exposure                      # in-process, no server needed
             python manage.py audit_exposure --base-url https://news.example.org --json
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

    def handle(self, *args, base_url: str | None, json: bool = False, **options):
        def bar(iterable, *, total, desc):
            return progress(iterable, stderr=self.stderr, total=total, desc=desc)

        try:
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
        for line in report.table():
            self.stdout.write(line)


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
