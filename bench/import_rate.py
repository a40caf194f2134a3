"""Benchmark: import_articles on 10,000 Markdown files, in a throwaway database.

    .venv/bin/python bench/import_rate.py [--articles 10000]
    .venv/bin/python bench/import_rate.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Writes the files (front matter with title, slug, summary, tags, a status: half published, half
drafts; a few paragraphs of Markdown), then times ``manage.py import_articles`` on them in a
scratch SQLite database, or in a scratch database made on the given PostgreSQL server. The last
line printed is one JSON object for ``make bench``:
``{"name": "import_articles_10k_sqlite", "articles_per_second": …, "target": 100, …}``.
"""

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from scratch import configure, scratch_postgres

TARGET_PER_SECOND = 100


def write_files(directory: Path, count: int) -> None:
    directory.mkdir()
    for n in range(count):
        status = "published" if n % 2 == 0 else "draft"
        (directory / f"story-{n:05d}.md").write_text(
            "---\n"
            f'title: "Story number {n} from the newsroom"\n'
            f"slug: story-{n:05d}\n"
            f'summary: "What happened in story {n}, in one sentence."\n'
            f"status: {status}\n"
            f"tags: [news, topic-{n % 50}]\n"
            "---\n"
            f"First paragraph of story {n}, with *emphasis* and a [link](https://example.org/).\n\n"
            "Second paragraph: quotes, figures and the context a reader needs.\n\n"
            "## A heading\n\nA last paragraph.\n",
            encoding="utf-8",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument(
        "--database-url", metavar="URL", help="A PostgreSQL server to build a scratch database on."
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
        from django.core.management import call_command
        from django.db import connection

        files = Path(workdir) / "import"
        write_files(files, args.articles)
        started, cpu_started = time.perf_counter(), time.process_time()
        call_command("import_articles", str(files), stdout=io.StringIO(), stderr=io.StringIO())
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        size = f"{args.articles // 1000}k" if args.articles >= 1000 else str(args.articles)
        rate = args.articles / seconds
        result = {
            "name": f"import_articles_{size}_{connection.vendor}",
            "seconds": round(seconds, 1),
            "articles_per_second": round(rate, 1),
            "target": TARGET_PER_SECOND,
            "met": rate >= TARGET_PER_SECOND,
            # On a shared machine wall time follows the load; CPU time less so.
            "cpu_seconds": round(cpu, 1),
            "articles_per_cpu_second": round(args.articles / cpu, 1),
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
