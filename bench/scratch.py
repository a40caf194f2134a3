"""A scratch Django for the bench scripts: its own database, asset directory and static files."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

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
