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
             python manage.py audit_exposure --base-url https://news.example.org --workers 2
             python manage.py audit_exposure --record   # kept for the admin's Exposure page
             python manage.py audit_exposure --exhaustive   # every variant of every object
    """

    help = (
        "Audit the configuration and probe every route for non-public articles and assets; "
        "exit code 1 on any leak or configuration error. Every non-public object is asked at "
        "each of its doors; the URL-shape variants (HEAD, forged cookie or token, no trailing "
        "slash, upper case, percent-encoded, ?preview=1, ?format=json, Range) for up to 20 "
        "objects of every state, chosen afresh each run, which the report states "
        "(--exhaustive: for every object)."
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
            "--workers",
            type=int,
            metavar="N",
            help="Probe with N processes (in-process; default one per core, at most 4) or N "
            "threads (--base-url; default 8). 1 probes one request at a time.",
        )
        parser.add_argument(
            "--exhaustive",
            action="store_true",
            help="Ask every URL-shape variant of every door for every non-public object, and "
            "search every hidden title, instead of a sample of every state.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            metavar="N",
            help="Choose the sampled objects as the run whose report names seed N did.",
        )
        parser.add_argument(
            "--record",
            action="store_true",
            help="Store the run and its findings for the admin's Exposure page.",
        )

    def handle(
        self,
        *args,
        base_url: str | None,
        json: bool = False,
        workers: int | None = None,
        record: bool = False,
        exhaustive: bool = False,
        seed: int | None = None,
        **options,
    ):
        def bar(iterable, *, total, desc):
            return progress(iterable, stderr=self.stderr, total=total, desc=desc)

        if workers is not None and workers < 1:
            raise CommandError(f"--workers: {workers} is not a number of workers; give 1 or more.")
        try:
            if record:
                report, run = recorded_audit(
                    source=ExposureRun.Source.COMMAND,
                    base_url=base_url,
                    progress=bar,
                    workers=workers,
                    exhaustive=exhaustive,
                    seed=seed,
                )
                # stderr, so that --json output stays one JSON document.
                self.stderr.write(f"Recorded as exposure run #{run.pk}.")
            else:
                report = run_audit(
                    base_url=base_url,
                    progress=bar,
                    workers=workers,
                    exhaustive=exhaustive,
                    seed=seed,
                )
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
