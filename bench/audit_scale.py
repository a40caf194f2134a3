"""Benchmark: audit_exposure on 10,000 articles with 50,000 assets, in a throwaway database.

    .venv/bin/python bench/audit_scale.py                                   # SQLite
    .venv/bin/python bench/audit_scale.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Builds the data with ``bulk_create`` (``audit_exposure.build``: half published, one article in
twenty, all of them published, with an unpublished edit; five assets each) in a scratch SQLite
database, or in a scratch database created on the given PostgreSQL server and dropped afterwards,
then times ``run_audit()`` in-process (its sampled plan; ``--exhaustive`` for the full cross
product). The last line printed is one JSON object for ``make bench``: ``{"name": "audit_exposure_10k_sqlite",
"seconds": …, "target_seconds": 120, …, "sampling": …, "per_stage": {…}}``.
"""

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from audit_exposure import build
from scratch import configure, scratch_postgres

TARGET_SECONDS = 120


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the audit's forked workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--assets-per-article", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=0, help="Probe processes (default: per core)."
    )
    parser.add_argument(
        "--database-url", metavar="URL", help="A PostgreSQL server to build a scratch database on."
    )
    parser.add_argument(
        "--exhaustive", action="store_true", help="Every variant of every object (the full plan)."
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="embargo-bench-") as workdir,
        contextlib.ExitStack() as stack,
    ):
        url = (
            stack.enter_context(scratch_postgres(args.database_url)) if args.database_url else None
        )
        configure(Path(workdir), url)
        started = time.perf_counter()
        counts = build(args.articles, args.assets_per_article)
        print(f"built {counts} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        from django.db import connection

        from articles.exposure import default_workers, run_audit
        from articles.exposure.records import ProbeCounter

        logging.getLogger("django.request").setLevel(logging.ERROR)
        workers = args.workers or default_workers()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        counter = ProbeCounter()
        report = run_audit(workers=workers, progress=counter, exhaustive=args.exhaustive)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        size = f"{args.articles // 1000}k" if args.articles >= 1000 else str(args.articles)
        plan = "_exhaustive" if args.exhaustive else ""
        result = {
            "name": f"audit_exposure_{size}_{connection.vendor}{plan}",
            "seconds": round(seconds, 1),
            "target_seconds": TARGET_SECONDS,
            "met": seconds < TARGET_SECONDS,
            # On a shared machine wall time follows the load; CPU time (workers included) less so.
            "cpu_seconds": round(cpu, 1),
            "requests": report.requests,
            "objects": report.objects,
            "errors": len(report.errors),
            "workers": workers,
            "sampling": report.sampling,
            "per_stage": counter.counts,
        }
        for finding in report.errors[:5]:
            print(
                f"  {finding.object} {finding.url} {finding.vector}: {finding.evidence}",
                file=sys.stderr,
            )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
