"""System checks that turn the Mythos-class mistakes into start-up errors, each saying how to fix it."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.urls import URLPattern, URLResolver, get_resolver

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}


def asset_root() -> Path | None:
    """The local directory asset files are written to, or None for remote (S3) storage."""
    from articles.storage import asset_storage

    location = getattr(asset_storage(), "location", None)
    if location is None or settings.EMBARGO_STORAGE != "local":
        return None
    return Path(location).resolve()


def public_roots() -> list[Path]:
    """Directories something serves without an access check: static root, static dirs, whitenoise."""
    roots = []
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    whitenoise_root = getattr(settings, "WHITENOISE_ROOT", None)
    if whitenoise_root:
        roots.append(Path(whitenoise_root))
    return [root.resolve() for root in roots]


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


@register(Tags.security)
def check_asset_storage_is_private(app_configs=None, **kwargs):
    root = asset_root()
    if root is None:
        return []
    return [
        Error(
            f"Private assets are stored in {root}, which overlaps the publicly served directory "
            f"{public}.",
            hint="Set EMBARGO_ASSET_ROOT to a directory outside STATIC_ROOT, STATICFILES_DIRS and "
            "WHITENOISE_ROOT (the default is var/private-assets).",
            id="embargo.E001",
        )
        for public in public_roots()
        if _overlaps(root, public)
    ]


def _iter_patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _iter_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def routes_serving_files() -> list[str]:
    """Routes that hand out files from a directory without Embargo's access check."""
    from django.views import static

    return [
        route
        for route, pattern in _iter_patterns(get_resolver().url_patterns)
        if getattr(pattern.callback, "__wrapped__", pattern.callback) is static.serve
    ]


@register(Tags.security, Tags.urls)
def check_no_file_serving_routes(app_configs=None, **kwargs):
    return [
        Error(
            f"The URL route {route!r} serves files with django.views.static.serve (e.g. "
            "static(settings.MEDIA_URL, ...)), bypassing the access check.",
            hint="Remove it: assets are served only by the asset view at /assets/<token>/<name>.",
            id="embargo.E002",
        )
        for route in routes_serving_files()
    ]


@register(Tags.security)
def check_debug_only_locally(app_configs=None, **kwargs):
    public_hosts = [host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS]
    if settings.DEBUG and public_hosts:
        return [
            Error(
                f"DEBUG is on while ALLOWED_HOSTS admits {', '.join(public_hosts)}: debug pages "
                "would show settings, SQL and drafts to anyone who can reach those hosts.",
                hint="Unset DJANGO_DEBUG (or set it to false) in any deployment reachable by others.",
                id="embargo.E003",
            )
        ]
    return []


CACHE_MIDDLEWARE = {
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
    "django.middleware.cache.CacheMiddleware",
}


@register(Tags.security, Tags.caches)
def check_no_generic_page_cache(app_configs=None, **kwargs):
    found = CACHE_MIDDLEWARE.intersection(settings.MIDDLEWARE)
    if found:
        return [
            Error(
                f"{', '.join(sorted(found))} caches responses by URL without knowing what is "
                "private, and cannot be purged when an article is withdrawn.",
                hint="Remove it; articles.web.middleware.PublicPageCacheMiddleware caches public "
                "pages only and forgets them on withdrawal.",
                id="embargo.E004",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_shared_cache_in_production(app_configs=None, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.ENVIRONMENT == "production" and backend.endswith("LocMemCache"):
        return [
            Warning(
                "The page cache is local memory: with more than one server process, each keeps "
                "and renders its own copy of every public page. (A withdrawal still reaches every "
                "process: the page-cache generation lives in the database.)",
                hint="Set REDIS_URL so every process shares one cache.",
                id="embargo.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_https_behind_a_named_proxy(app_configs=None, **kwargs):
    if settings.SECURE_SSL_REDIRECT and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return [
            Warning(
                "HTTPS is on but no proxy header is trusted: behind a TLS proxy every request "
                "reaches Django as plain http and is redirected to https again, forever.",
                hint="Set EMBARGO_TRUSTED_PROXY_HEADER to the header your proxy sets (e.g. "
                "X-Forwarded-Proto), or EMBARGO_HTTPS=false where nothing serves HTTPS.",
                id="embargo.W002",
            )
        ]
    return []


# Django permissions that let a holder edit other people's accounts and groups in the admin.
ACCOUNT_ADMIN_PERMISSIONS = ("auth.change_user", "auth.change_group", "auth.change_permission")


# Tagged "database" because it reads tables: Django runs it on migrate and on
# "manage.py check --database default", not on plain "check", which must work before migrate.
@register(Tags.database)
def check_account_admin_permissions_only_for_superusers(app_configs=None, **kwargs):
    from articles.access import global_permission_holders
    from articles.roles import ACCESS_ADMINISTRATORS

    try:
        holders = global_permission_holders(ACCOUNT_ADMIN_PERMISSIONS)
    except DatabaseError:
        return []  # not migrated yet: nobody holds anything
    return [
        Warning(
            f"“{holder.username}” holds {holder.permission} ({holder.source}) without being a "
            "superuser: they can edit other people's accounts or groups in the admin.",
            hint=f"Take the permission away and, if they should manage people, make them a "
            f"member of “{ACCESS_ADMINISTRATORS}”, whose changes are checked and audited.",
            id="embargo.W020",
        )
        for holder in holders
    ]
