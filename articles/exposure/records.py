"""Recorded audits: each run of ``audit_exposure --record`` (or the daily run) kept with its findings.

The auditor's ``Report`` is taken as it is; what each stage probed comes from the counts the auditor
announces to its ``progress`` callback, so recording needs nothing from the auditor's insides.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from articles.exposure import Report, run_audit
from articles.models import ExposureFinding, ExposureRun

# The daily run is due when no run was recorded (or started by the worker) for this long.
DAILY = timedelta(hours=24)


@dataclass
class ProbeCounter:
    """A ``progress`` callback that counts what each stage of the audit probes, then passes it on."""

    passed_to: Callable | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def __call__(self, iterable: Iterable, *, total: int, desc: str) -> Iterable:
        self.counts[desc] = self.counts.get(desc, 0) + total
        if self.passed_to is None:
            return iterable
        return self.passed_to(iterable, total=total, desc=desc)


def exposure_run_record(
    *,
    report: Report,
    started_at: datetime,
    finished_at: datetime,
    source: str,
    probed: dict[str, int],
    base_url: str = "",
) -> ExposureRun:
    """Store one audit and every finding in one transaction: the whole run or none of it."""
    with transaction.atomic():
        run = ExposureRun.objects.create(
            started_at=started_at,
            finished_at=finished_at,
            source=source,
            base_url=base_url,
            objects_checked=report.objects,
            requests=report.requests,
            probed=probed,
            errors=len(report.errors),
            warnings=len(report.findings) - len(report.errors),
        )
        ExposureFinding.objects.bulk_create(
            ExposureFinding(
                run=run,
                severity=finding.severity,
                subject=finding.object,
                kind=finding.vector,
                door=finding.url,
                detail=finding.evidence,
            )
            for finding in report.findings
        )
    return run


def recorded_audit(
    *,
    source: str,
    base_url: str | None = None,
    progress: Callable | None = None,
    workers: int | None = None,
    exhaustive: bool = False,
    seed: int | None = None,
) -> tuple[Report, ExposureRun]:
    """Run the audit as ``audit_exposure`` does and record it. ``BadBaseURL`` records nothing."""
    counter = ProbeCounter(passed_to=progress)
    started_at = timezone.now()
    report = run_audit(
        base_url=base_url, progress=counter, workers=workers, exhaustive=exhaustive, seed=seed
    )
    run = exposure_run_record(
        report=report,
        started_at=started_at,
        finished_at=timezone.now(),
        source=source,
        probed=counter.counts,
        base_url=base_url or "",
    )
    return report, run


def daily_audit_is_due(now: datetime | None = None) -> bool:
    """Whether no run has been recorded in the last 24 hours."""
    now = now or timezone.now()
    return not ExposureRun.objects.filter(started_at__gt=now - DAILY).exists()
