"""``/healthz``: is every component this process needs answering? Never anything about content.

Each check does the same fixed work whatever the articles are (no article table is read), so the
probe's answer and its timing say nothing about what exists. A failure is logged with its cause
for the operator; the response names only the component.
"""

import logging
import secrets
from collections.abc import Callable

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from articles.storage import asset_storage

# Written by `manage.py migrate` (see apps.py); its absence means the private storage that was
# migrated against is not the one mounted now.
STORAGE_SENTINEL = "health/sentinel"

logger = logging.getLogger("embargo.health")


class ComponentDown(Exception):
    """A component answered, but not as it should."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise ComponentDown("SELECT 1 did not return 1")


def check_cache() -> None:
    key, value = f"embargo:healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise ComponentDown("a value written to the cache did not come back")
    finally:
        cache.delete(key)


def check_storage() -> None:
    if not asset_storage().exists(STORAGE_SENTINEL):
        raise ComponentDown(f"the sentinel {STORAGE_SENTINEL!r} is missing")


def check_static() -> None:
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not staticfiles_storage.exists(manifest):
        raise ComponentDown(f"{manifest} is missing: run `manage.py collectstatic`")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "static": check_static,
}


def ensure_storage_sentinel() -> None:
    """Write the storage sentinel if it is missing (idempotent)."""
    storage = asset_storage()
    if not storage.exists(STORAGE_SENTINEL):
        storage.save(STORAGE_SENTINEL, ContentFile(b"embargo"))


@require_safe
def healthz(request):
    """200 with every component ``ok``, or 503 naming the ones that failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure of a component is that component being down
            logger.warning("health check failed", extra={"component": name, "error": repr(error)})
            results[name] = "failed"
        else:
            results[name] = "ok"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failed", **results}, status=200 if healthy else 503
    )
