"""gunicorn settings for Embargo: `make serve`, the container and the systemd unit all use this file.

Override the address with --bind (make serve: 127.0.0.1:$PORT; container: 0.0.0.0:8000) and the
number of worker processes with WEB_CONCURRENCY.
"""

import os
import sys


def _workers() -> int:
    """WEB_CONCURRENCY if given, else gunicorn's advice for a CPU-bound app: 2 x CPUs + 1."""
    value = os.environ.get("WEB_CONCURRENCY", "")
    if not value:
        return 2 * (os.cpu_count() or 1) + 1
    if not value.isdigit() or int(value) < 1:
        sys.exit(
            f"WEB_CONCURRENCY={value!r} is not a number of processes: use e.g. 4, or unset it."
        )
    return int(value)


wsgi_app = "cms.wsgi:application"
bind = "127.0.0.1:8000"
workers = _workers()
# A request that takes 30 s is stuck (every page is a few queries); the worker is replaced.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak in any library never grows without bound. Each
# worker at its own count (20,000 to 25,000): a worker's warm state (its compiled access lookups, the
# embedded default's page cache in local memory) leaves with it, and at a thousand requests a second
# 1,000 recycled every worker each second, so most hits missed. The jitter keeps two workers from
# leaving together, the site silent meanwhile.
max_requests = 20_000
max_requests_jitter = 5_000
# Django is set up once, in the arbiter, and each worker is a fork of it: a replacement imports
# nothing. Loading the app in each new worker took seconds more on a busy machine, and two workers
# replaced together left the site answering nothing meanwhile (make bench saw 0 req/s). So new
# code needs a restart (systemctl restart embargo): a HUP forks new workers from the loaded code.
preload_app = True


def when_ready(server) -> None:
    """No database connection opened while loading may be inherited, and so shared, by workers."""
    from django.db import connections

    connections.close_all()


# Both logs to stdout/stderr for the supervisor (systemd journal, container runtime) to collect.
accesslog = "-"
errorlog = "-"
# Each request by its route name, never its path (slugs, tokens and file names stay out of the log),
# and without its duration: a per-request timing beside each 404 would measure what hidden objects
# cost (see cms/gunicorn_logging.py). Slow requests still end at the timeout, with an error line.
logger_class = "cms.gunicorn_logging.AccessLogWithoutSecrets"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s "%(a)s"'
# Heartbeat files in memory rather than on a disk that may be slow or read-only (containers).
SHARED_MEMORY = "/dev/shm"  # noqa: S108  (gunicorn's own advice; only heartbeat files go there)
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY
# No runtime control socket: nothing here uses gunicornc, two instances on one host would share
# its default path, and a hardened unit may not write to $HOME.
control_socket_disable = True


def worker_exit(server, worker) -> None:
    """A worker that ends as asked (max_requests, shutdown) leaves without Python's finalisation.

    Tearing down a forked copy of Django took seconds on a busy machine, and its replacement is
    forked only once it has gone. Not for a worker that failed (its exit status tells the arbiter
    whether to give up), nor when the arbiter itself calls this for a worker already gone.
    """
    if os.getpid() != worker.pid or not worker.booted or worker.alive:
        return
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
