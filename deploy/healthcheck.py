"""The container's HEALTHCHECK: GET /healthz as a load balancer would, with a Host Django allows."""

import os
import sys
import urllib.error
import urllib.request

PORT = os.environ.get("PORT", "8000")


def allowed_host() -> str:
    """The first DJANGO_ALLOWED_HOSTS entry as a host name (a request for any other is a 400)."""
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
    return "localhost" if first in ("", "*") else first


def main() -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/healthz", headers={"Host": allowed_host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=4):  # noqa: S310  (a fixed http URL)
            pass
    except (urllib.error.URLError, OSError) as error:
        sys.exit(f"unhealthy: {error}")


if __name__ == "__main__":
    main()
