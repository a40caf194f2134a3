"""CPU per request of the signed-in reader's targets, in-process: (c), (g) and hidden/missing.

    .venv/bin/python bench/signed_in.py [--requests 300] [--database-url URL]

Builds the demo and the bench fixtures (``datasets.build_fixtures``: ``bench-reader``, who holds
view on one draft) in a scratch database, then calls Django's WSGI handler in a loop with the
reader's session cookie, as gunicorn would, and prints the process CPU time per request (median of
two rounds' means; process time, so other jobs on the machine cost it little) for the public
article (c), the 1 MiB private asset (g), a draft the reader may not see and a slug that never
existed, and the hidden/missing ratio of per-request medians with the two requested alternately.
"""

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scratch import configure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="Per target and round.")
    parser.add_argument("--database-url", default="", help="A PostgreSQL URL (dropped first).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="embargo-bench-signed-in-") as workdir:
        configure(Path(workdir), database_url=args.database_url)
        import datasets
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command

        call_command("load_demo", verbosity=0)
        manifest = datasets.build_fixtures(Path(workdir))
        logging.getLogger("embargo.security").setLevel(logging.WARNING)  # one line per 404
        handler = WSGIHandler()
        cookie = manifest["cookies"]["reader"]

        def get(path: str) -> str:
            statuses: list[str] = []
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "HTTP_HOST": "127.0.0.1",
                "HTTP_COOKIE": cookie,
                "wsgi.input": io.BytesIO(),
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
            }
            response = handler(environ, lambda status, headers: statuses.append(status))
            for _ in response:
                pass
            response.close()
            return statuses[0]

        targets = {
            "c article, signed in": f"/articles/{manifest['public_slug']}/",
            "g private 1 MiB asset": manifest["private_asset"],
            "hidden draft": f"/articles/{manifest['hidden_slug']}/",
            "missing slug": "/articles/bench-never-existed/",
        }
        for name, path in targets.items():
            print(f"{name}: {get(path)}")
            for _ in range(20):  # warm: compiled lookups, templates, the reused page
                get(path)
        for name, path in targets.items():
            rounds = []
            for _ in range(2):
                started = time.process_time()
                for _ in range(args.requests):
                    get(path)
                rounds.append((time.process_time() - started) / args.requests * 1000)
            print(f"{name:<24} {min(rounds):6.3f} ms CPU per request")
        per_request: dict[str, list[float]] = {"hidden draft": [], "missing slug": []}
        for number in range(args.requests * 2):
            order = list(per_request) if number % 2 == 0 else list(reversed(per_request))
            for name in order:
                started = time.process_time()
                get(targets[name])
                per_request[name].append(time.process_time() - started)
        hidden, missing = (statistics.median(per_request[name]) for name in per_request)
        print(f"hidden/missing (interleaved medians): {hidden / missing:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
