"""CPU per public cache hit, in process: the WSGI application called directly, no server, no load.

Served benches on a shared machine are noisy; this counts ``time.process_time`` over many calls of
the WSGI handler for each public door (the article, home, a tag, the tag index, search, the sitemap,
a public 1 MiB asset, handed to a ``wsgi.file_wrapper`` as gunicorn hands it to sendfile) after one warming request, and prints microseconds
per request. Point it at a data set ``datasets.py`` built (its ``--workdir`` and manifest), with
``--database-url``/``--redis-url`` for the scale configuration:

    .venv/bin/python bench/hit_cost.py --workdir /tmp/w --manifest /tmp/w.json \
        [--database-url postgres://…] [--redis-url redis://127.0.0.1:6379/3] [--profile article]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _environ(path: str) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # gunicorn hands a file response to sendfile(2): the kernel's work, not the worker's.
        "wsgi.file_wrapper": _SentByTheKernel,
    }


class _SentByTheKernel:
    """What gunicorn's ``wsgi.file_wrapper`` costs the worker: the file is closed, not read."""

    def __init__(self, filelike, block_size=None):
        self.filelike = filelike

    def __iter__(self):
        return iter(())

    def close(self):
        self.filelike.close()


def _request(application, path: str) -> int:
    statuses = []
    body = application(_environ(path), lambda status, headers, *_: statuses.append(status))
    size = sum(len(chunk) for chunk in body)
    if hasattr(body, "close"):
        body.close()
    if not statuses[0].startswith("200"):
        sys.exit(f"{path} answered {statuses[0]}")
    return size


def _static_file_near(root: Path, size: int) -> str:
    files = [path for path in root.rglob("*") if path.is_file() and path.suffix in {".css", ".js"}]
    nearest = min(files, key=lambda path: abs(path.stat().st_size - size))
    return "/static/" + nearest.relative_to(root).as_posix()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", default="", help="a door name: print its cProfile instead")
    args = parser.parse_args()
    manifest = json.loads(args.manifest.read_text().strip().splitlines()[-1])
    sys.path.insert(0, str(ROOT))
    from scratch import server_environment

    os.environ.update(
        server_environment(args.workdir, args.database_url),
        REDIS_URL=args.redis_url,
        # As the bench's gunicorn runs (bench/run.py ``Server``).
        EMBARGO_ENVIRONMENT="production",
        EMBARGO_HTTPS="false",
        EMBARGO_BASE_URL="http://127.0.0.1",
    )
    import django
    from django.conf import settings

    django.setup()
    settings.STATIC_ROOT = args.workdir / "static"
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application

    if args.redis_url:
        cache.clear()
    application = get_wsgi_application()
    doors = {
        "article": f"/articles/{manifest['public_slug']}/",
        "home": "/",
        "tag": f"/tags/{manifest['tag']}/",
        "tag index": "/tags/",
        "search": "/search/?q=mythos",
        "sitemap": "/sitemap.xml",
        "asset 1 MiB": manifest["public_asset"],
        # The baseline: whitenoise serving a static file about the size of a page.
        "static file": _static_file_near(args.workdir / "static", manifest["article_bytes"]),
    }
    if args.profile:
        path = doors[args.profile]
        _request(application, path)
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on sockets
        profiler.enable()
        for _ in range(args.requests):
            _request(application, path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("HIT_COST_SORT", "tottime")).print_stats(
            45
        )
        return 0
    for name, path in doors.items():
        _request(application, path)  # the miss that fills the cache
        started = time.process_time()
        for _ in range(args.requests):
            _request(application, path)
        micros = (time.process_time() - started) / args.requests * 1e6
        print(f"{name:12} {micros:8.1f} µs CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
