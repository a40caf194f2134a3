"""A scratch Django for the bench scripts: its own database, asset directory and static files.

SQLite in the work directory by default; with ``database_url`` (PostgreSQL), a database of its own
is created on that server for the run and dropped afterwards.
"""

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def configure(workdir: Path, database_url: str | None = None) -> None:
    """Point Django at a scratch database and asset directory before it is set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cms.settings",
        EMBARGO_ENVIRONMENT="test",
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        EMBARGO_ASSET_ROOT=str(workdir / "assets"),
    )
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
