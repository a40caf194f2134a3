"""The embedded default database: SQLite in WAL mode with synchronous=NORMAL, in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run after django.setup() in a child started with the default settings (no DATABASE_URL). The
# database it would open is the checkout's own, so the child points the same settings (options
# included) at a scratch file before the first connection is made.
CHILD = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings"
import django
from django.conf import settings
django.setup()
default = settings.DATABASES["default"]
embedded = str(default["NAME"]) == str(settings.VAR_DIR / "embargo.sqlite3")
default["NAME"] = sys.argv[1]
from django.db import connection
with connection.cursor() as cursor:
    pragmas = {
        name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous")
    }
print(json.dumps({"embedded": embedded, "engine": default["ENGINE"], **pragmas,
                  "transaction_mode": connection.transaction_mode}))
"""


def test_the_embedded_default_runs_sqlite_in_wal_mode_without_an_fsync_per_commit(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],
        "EMBARGO_ENVIRONMENT": "production",
        "DJANGO_SECRET_KEY": "sqlite-settings-test-" + "k3y-" * 12,
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "fresh.sqlite3")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "embedded": True,
        "engine": "django.db.backends.sqlite3",
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "transaction_mode": "IMMEDIATE",
    }
