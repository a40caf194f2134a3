"""Print ``DATABASE_URL=… REDIS_URL=…`` for the test servers that answer, for ``make test``.

The suite runs once on the embedded defaults (SQLite, local memory) and again on whichever of
PostgreSQL and Redis are reachable; what is not reachable is named on stderr, so a skip is never silent.
"""

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/embargo",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    found = []
    for name, default in DEFAULTS.items():
        url = os.environ.get(f"TEST_{name}", default)
        if reachable(url):
            found.append(f"{name}={url}")
        else:
            print(f"{name}: nothing answers at {url}; that run is skipped.", file=sys.stderr)
    print(" ".join(found))
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
