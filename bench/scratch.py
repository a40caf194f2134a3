"""A scratch Django for the bench scripts: its own database, asset directory and static files.

SQLite in the work directory by default; with ``database_url`` (PostgreSQL), that database is
dropped and created again first. ``scratch_postgres`` makes a database of the run's own on a server
and drops it afterwards.
"""

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Sessions made by the data-set builder must verify in the server the runner starts: one key.
SECRET_KEY = "bench-only-" + "k" * 50


def fresh_postgres(database_url: str) -> None:
    """Drop and recreate the database a PostgreSQL URL names: every run starts from nothing."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def server_environment(workdir: Path, database_url: str = "") -> dict[str, str]:
    """What both this process and the bench's gunicorn need to see the same data."""
    return {
        "DJANGO_SETTINGS_MODULE": "cms.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "EMBARGO_ASSET_ROOT": str(workdir / "assets"),
    }


def configure(workdir: Path, database_url: str = "") -> None:
    """Point Django at a scratch database and asset directory before it is set up."""
    sys.path.insert(0, str(ROOT))
    workdir.mkdir(parents=True, exist_ok=True)
    if database_url:
        fresh_postgres(database_url)
    os.environ.update(server_environment(workdir, database_url), EMBARGO_ENVIRONMENT="test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Templates use {% static %}; the manifest storage needs collectstatic's manifest to render.
    settings.STATIC_ROOT = workdir / "static"
    call_command("collectstatic", interactive=False, verbosity=0)


@contextlib.contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server at ``server_url``; dropped on the way out."""
    import psycopg

    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"--database-url: “{server_url}” is not a postgres:// URL.")
    name = f"embargo_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"--database-url: cannot reach PostgreSQL at {server_url}: {error}"
        ) from None
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
