"""A scratch Django for the bench scripts: its own SQLite database, asset directory and static files."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(workdir: Path) -> None:
    """Point Django at a scratch database and asset directory before it is set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cms.settings",
        EMBARGO_ENVIRONMENT="test",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
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
