"""Benchmark: the admin article list for the bench's editor, in-process, on a data set already built.

    .venv/bin/python bench/datasets.py --workdir DIR --size 10k [--database-url URL]   # once
    .venv/bin/python bench/admin_list.py --workdir DIR [--database-url URL] [--queries]

Signs in as ``bench-editor`` (the superuser `datasets.py` makes) with Django's test client and asks
for `/admin/articles/article/` `--samples` times after a warm-up; prints the median CPU time
(`time.process_time`, which the other jobs on a loaded machine do not inflate) and wall time of a
request. With `--queries`, one more request is captured and every statement is printed with its
time, slowest first. The database is migrated first (an index added since the build is applied);
nothing else is written. The last line is JSON.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from scratch import ROOT, server_environment

CHANGELIST = "/admin/articles/article/"


def setup(workdir: Path, database_url: str) -> None:
    """Django on the built data set: its database and asset directory, migrated, not rebuilt."""
    sys.path.insert(0, str(ROOT))
    if not (database_url or (workdir / "bench.sqlite3").exists()):
        raise SystemExit(f"--workdir: {workdir} holds no bench.sqlite3; build it with datasets.py.")
    os.environ.update(server_environment(workdir, database_url), EMBARGO_ENVIRONMENT="test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.STATIC_ROOT = workdir / "static"


def signed_in_client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench-editor"))
    return client


def get_list(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--path", default=CHANGELIST, help="another admin list URL to time")
    parser.add_argument("--queries", action="store_true", help="print every statement and its time")
    args = parser.parse_args()
    if args.samples < 1:
        parser.error(f"--samples {args.samples}: at least one request must be timed.")
    setup(args.workdir, args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article

    client = signed_in_client()
    for _ in range(3):
        get_list(client, args.path)
    cpu, wall = [], []
    for _ in range(args.samples):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        get_list(client, args.path)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    with CaptureQueriesContext(connection) as captured:
        get_list(client, args.path)
    if args.queries:
        for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"])):
            print(f"{float(query['time']) * 1000:8.2f} ms  {query['sql'][:600]}")
    result = {
        "name": f"admin_list_{connection.vendor}",
        "articles": Article.objects.count(),
        "queries": len(captured.captured_queries),
        "cpu_ms_p50": round(statistics.median(cpu) * 1000, 1),
        "wall_ms_p50": round(statistics.median(wall) * 1000, 1),
        "samples": args.samples,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
