#!/usr/bin/env bash
# What `make serve` runs once the site is migrated and its static files collected: gunicorn and the
# publication worker side by side. Ctrl-C (or a TERM to this script) stops both; if either stops on
# its own, the other is stopped too, so nothing is left serving half a site.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
port=${PORT:-8000}
# Log lines appear as they happen, not when a pipe's buffer fills.
export PYTHONUNBUFFERED=1

"$venv/bin/python" manage.py db_worker --no-startup-delay &
worker=$!
"$venv/bin/gunicorn" --config gunicorn.conf.py --bind "127.0.0.1:$port" &
web=$!

stop() {
    kill -TERM "$web" "$worker" 2>/dev/null
    wait "$web" "$worker" 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

wait -n "$web" "$worker"
status=$?
stop
exit "$status"
