"""Embargo's only settings module: production differs from development by environment variables alone.

Every variable is documented in the README's configuration table. A bad value stops start-up with an
``ImproperlyConfigured`` naming the variable, rather than running with a guess.
"""

import ipaddress
import re
import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import NoReturn, overload
from urllib.parse import urlsplit

from botocore.config import Config as BotoConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from environs import Env, EnvError, validate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()


def _read(kind: str, name: str, *args, **kwargs):
    """Read one variable, turning a parse error into a start-up error that says what to set.

    environs returns a default as given but parses a set variable (``env.url`` gives a ``ParseResult``),
    so every default below is written as the value it stands for, and ``url`` is never used: a
    setting has one type whether it came from the environment or from its default.
    """
    try:
        return getattr(env, kind)(name, *args, **kwargs)
    except EnvError as error:
        reason = str(error).rstrip(".")
        raise ImproperlyConfigured(f"{reason}. Fix or unset {name} (see the README).") from error


def _refuse(name: str, value: object, why: str) -> NoReturn:
    raise ImproperlyConfigured(
        f"{name}={str(value)!r} {why}. Fix or unset {name} (see the README)."
    )


@overload
def _read_http_url(name: str, default: str) -> str: ...
@overload
def _read_http_url(name: str, default: None) -> str | None: ...
def _read_http_url(name: str, default: str | None) -> str | None:
    """An absolute http(s) URL without a trailing slash, or ``default`` when unset."""
    value = _read("str", name, default)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        _refuse(name, value, "is not an absolute http:// or https:// URL")
    if parts.query or parts.fragment:
        _refuse(name, value, "must not have a query string or fragment")
    return value.rstrip("/")


def _read_positive_int(name: str, default: int, *, minimum: int = 1) -> int:
    value = _read("int", name, default)
    if value < minimum:
        _refuse(name, value, f"must be at least {minimum}")
    return value


def _read_duration(name: str, default: timedelta) -> timedelta:
    """A positive duration such as ``72h`` or ``30d``."""
    value = _read("timedelta", name, default)
    if value <= timedelta(0):
        _refuse(name, value, "must be a positive duration such as 72h or 30d")
    return value


DEBUG = _read("bool", "DJANGO_DEBUG", False)
# Production is the default: the conveniences of development (a generated secret key, cookies over
# plain http on localhost) must be asked for by name.
ENVIRONMENT = _read("str", "EMBARGO_ENVIRONMENT", "production")
if ENVIRONMENT not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"EMBARGO_ENVIRONMENT={ENVIRONMENT!r} is not known: use production, development or test."
    )
ALLOWED_HOSTS = _read("list", "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
if not ALLOWED_HOSTS:
    _refuse("DJANGO_ALLOWED_HOSTS", "", "is empty, so every request would be refused")
for _host in ALLOWED_HOSTS:
    if not _host or "/" in _host or any(c.isspace() for c in _host):
        _refuse("DJANGO_ALLOWED_HOSTS", _host, "is not a host name (no scheme, path or spaces)")
CSRF_TRUSTED_ORIGINS = _read("list", "DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in {"http", "https"} or not urlsplit(_origin).netloc:
        _refuse(
            "DJANGO_CSRF_TRUSTED_ORIGINS", _origin, "is not an origin such as https://news.example"
        )


def _read_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated networks (``10.20.0.0/16,fd00::/8``) or single addresses; none when unset."""
    networks = []
    for entry in _read("list", name, []):
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError as error:
            _refuse(name, entry, f"is not a network such as 10.20.0.0/16 or fd00::/8 ({error})")
    return tuple(networks)


def _secret_key() -> str:
    key = _read("str", "DJANGO_SECRET_KEY", "")
    if key:
        # Django's own deploy check (security.W009) would only warn about a guessable key.
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured(
                "DJANGO_SECRET_KEY is too short or too simple: use at least 50 random characters."
            )
        return key
    if ENVIRONMENT == "production":
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. In production set it to a long random value, e.g. "
            '`export DJANGO_SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(50))")"`; '
            "for local development set EMBARGO_ENVIRONMENT=development and a key is generated once "
            "into var/secret_key."
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "articles.admin_site.EmbargoAdminConfig",  # django.contrib.admin without the admin/r/ oracle
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django.contrib.postgres",
    "guardian",
    "axes",
    "django_tasks_db",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.web.middleware.EmbargoHeadersMiddleware",
    "articles.web.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Hidden and missing objects cost the same session work (and so the same headers and cookies).
    "articles.web.middleware.SameWorkForEveryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {% csp_nonce_attr %} on the admin's scripts and styles (the editor's included).
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Persistent connections (a minute), checked before reuse so a database restart costs no request an
# error: without them every request, a page-cache hit included, opens a new connection first.
DATABASES = {
    "default": _read(
        "dj_db_url",
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'embargo.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    # Concurrent publish_scheduled runs must serialise on SQLite: take the write lock at BEGIN.
    _sqlite_options["transaction_mode"] = "IMMEDIATE"
    # WAL: readers no longer block the writer. synchronous=NORMAL: a commit appends to the log
    # without an fsync (only checkpoints sync), which made every imported file wait on the disk.
    # Durable against a crash of the application; a power failure may lose the last commits.
    _sqlite_options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"

REDIS_URL = _read("str", "REDIS_URL", "")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    _refuse("REDIS_URL", REDIS_URL, "is not a redis://, rediss:// or unix:// URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, with one Redis client reused instead of one built per call.
            "BACKEND": "articles.redis_cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            # A stopped or paused Redis must cost a request half a second, not an outage: the page
            # cache then serves uncached pages (articles/soft_cache.py). Sessions are not in it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The API token lock-out's counts (articles/api/guessing.py), apart from the page cache:
        # anyone fills that with pages under new query strings, and a full one culls the least
        # used entries, a guesser's own count among them.
        "api-guessing": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-guessing",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
# Whether the page-cache generation is kept in the cache (no SQL on a cache hit): only when every
# process shares the cache; a process's own memory would never hear of another's change, so the
# embedded default reads the generation from the database (articles/web/caching.py).
EMBARGO_GENERATION_IN_CACHE = bool(REDIS_URL)

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login brute force: after 5 failures for one username from one address, that pair waits 15 minutes.
AXES_FAILURE_LIMIT = _read_positive_int("EMBARGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = _read("str", "EMBARGO_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (ValueError, zoneinfo.ZoneInfoNotFoundError):
    _refuse("EMBARGO_TIME_ZONE", TIME_ZONE, "is not an IANA time zone such as Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded assets never get a URL of their own: they live in private storage and are streamed by
# the asset view after the access check. There is deliberately no MEDIA_URL route.
ASSET_ROOT = Path(_read("str", "EMBARGO_ASSET_ROOT", str(VAR_DIR / "private-assets")))
if not ASSET_ROOT.is_absolute():
    # A relative root would follow whatever directory the server happened to start in.
    _refuse("EMBARGO_ASSET_ROOT", str(ASSET_ROOT), "must be an absolute path")
EMBARGO_STORAGE = _read("str", "EMBARGO_STORAGE", "local")
if EMBARGO_STORAGE == "local":
    _asset_storage = {
        "BACKEND": "articles.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": ASSET_ROOT},
    }
elif EMBARGO_STORAGE == "s3":
    _asset_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _read(
                "str",
                "EMBARGO_S3_BUCKET",
                validate=validate.Regexp(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
            ),
            "endpoint_url": _read_http_url("EMBARGO_S3_ENDPOINT_URL", None),
            "region_name": _read(
                "str", "EMBARGO_S3_REGION", None, validate=validate.Regexp(r"^[a-z0-9-]+$")
            ),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "location": "assets",
            # A hung store must not hold a worker for ever: short timeouts, a few retries.
            "client_config": BotoConfig(
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 3, "mode": "standard"},
                signature_version="s3v4",  # presigned URLs that say when they expire
            ),
        },
    }
else:
    raise ImproperlyConfigured(
        f"EMBARGO_STORAGE={EMBARGO_STORAGE!r} is not a storage Embargo knows: use 'local' or 's3'."
    )

# How asset bytes reach a reader after the access check (articles/asset_delivery.py).
EMBARGO_ASSET_DELIVERY = _read(
    "str",
    "EMBARGO_ASSET_DELIVERY",
    "stream",
    validate=validate.OneOf(["stream", "presigned", "x-accel"]),
)
if EMBARGO_ASSET_DELIVERY == "presigned" and EMBARGO_STORAGE != "s3":
    _refuse("EMBARGO_ASSET_DELIVERY", "presigned", "needs EMBARGO_STORAGE=s3")
if EMBARGO_ASSET_DELIVERY == "x-accel" and EMBARGO_STORAGE != "local":
    _refuse(
        "EMBARGO_ASSET_DELIVERY", "x-accel", "needs EMBARGO_STORAGE=local (nginx serves the files)"
    )

STORAGES = {
    "default": {"BACKEND": "articles.storage.PrivateFileSystemStorage"},
    "assets": _asset_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Nothing is ever written to the default storage; MEDIA_* point at an unused place so that no
# static(MEDIA_URL, document_root=MEDIA_ROOT) line copied from a tutorial can expose the assets.
MEDIA_ROOT = VAR_DIR / "unused-media"
MEDIA_URL = "/unused-media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Embargo's own settings, each read once here with its default.
EMBARGO_BASE_URL = _read_http_url("EMBARGO_BASE_URL", "http://127.0.0.1:8000")
EMBARGO_PREVIEW_TTL = _read_duration("EMBARGO_PREVIEW_TTL", timedelta(hours=72))
EMBARGO_PREVIEW_MAX_TTL = _read_duration("EMBARGO_PREVIEW_MAX_TTL", timedelta(days=30))
if EMBARGO_PREVIEW_TTL > EMBARGO_PREVIEW_MAX_TTL:
    _refuse(
        "EMBARGO_PREVIEW_TTL",
        str(EMBARGO_PREVIEW_TTL),
        f"is longer than EMBARGO_PREVIEW_MAX_TTL ({EMBARGO_PREVIEW_MAX_TTL})",
    )
EMBARGO_MAX_UPLOAD_BYTES = _read_positive_int("EMBARGO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
EMBARGO_MAX_IMAGE_PIXELS = _read_positive_int("EMBARGO_MAX_IMAGE_PIXELS", 40_000_000)
EMBARGO_PUBLIC_MAX_AGE = _read_positive_int("EMBARGO_PUBLIC_MAX_AGE", 300, minimum=0)
# audit_exposure warns about a confidential article with more live share links than this.
EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS = _read_positive_int(
    "EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS", 3, minimum=0
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Sessions and CSRF: secure cookies whenever the site is not in development.
# Sessions live in the database, never in the cache: a cache outage must not sign anyone out.
# Django's db backend, its per-request read compiled once per process (articles/sessions.py).
SESSION_ENGINE = "articles.sessions"
SESSION_COOKIE_HTTPONLY = True
EMBARGO_HTTPS = _read("bool", "EMBARGO_HTTPS", True)
SESSION_COOKIE_SECURE = ENVIRONMENT == "production" and EMBARGO_HTTPS
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- TLS behind a proxy (issue 13) ---------------------------------------------------------------
# HTTPS is on exactly when the cookies are HTTPS-only: in production, unless EMBARGO_HTTPS=false.
HTTPS = SESSION_COOKIE_SECURE
# Over HTTPS, browsers are told to come back only over HTTPS (HSTS) and plain http is redirected.
# The load balancer's /healthz probe may arrive over plain http, so it is never redirected.
EMBARGO_HSTS_SECONDS = _read(
    "int",
    "EMBARGO_HSTS_SECONDS",
    31_536_000,
    validate=validate.Range(min=0, error="must be 0 or more seconds"),
)
SECURE_HSTS_SECONDS = EMBARGO_HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = bool(SECURE_HSTS_SECONDS)
# Preloading is a promise to browsers' built-in lists that is slow to undo: asked for by name only.
EMBARGO_HSTS_PRELOAD = _read("bool", "EMBARGO_HSTS_PRELOAD", False)
SECURE_HSTS_PRELOAD = EMBARGO_HSTS_PRELOAD and bool(SECURE_HSTS_SECONDS)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The header the TLS-terminating proxy sets to say the request came over HTTPS, e.g.
# X-Forwarded-Proto. Only name it when such a proxy always sets it: a client could send it too.
TRUSTED_PROXY_HEADER = _read("str", "EMBARGO_TRUSTED_PROXY_HEADER", "")
# How many proxies append to X-Forwarded-For in front of the app (nginx alone: 1).
TRUSTED_PROXY_COUNT = _read(
    "int",
    "EMBARGO_TRUSTED_PROXY_COUNT",
    1,
    validate=validate.Range(min=1, error="must be 1 or more proxies"),
)
if TRUSTED_PROXY_HEADER:
    if not re.fullmatch(r"[A-Za-z0-9-]+", TRUSTED_PROXY_HEADER):
        raise ImproperlyConfigured(
            f"EMBARGO_TRUSTED_PROXY_HEADER={TRUSTED_PROXY_HEADER!r} is not an HTTP header name: "
            "use e.g. X-Forwarded-Proto, or leave it unset when no proxy terminates TLS."
        )
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + TRUSTED_PROXY_HEADER.upper().replace("-", "_"),
        "https",
    )
# The sign-in lock-out counts the client's address: behind the proxy, the one the trusted proxies
# appended to X-Forwarded-For (articles.web.client_address), never the proxy's own address.
AXES_CLIENT_IP_CALLABLE = "articles.web.client_address.client_address"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    # A nonce only on pages that render one (the admin's); the page cache never stores those, so
    # no public page repeats a nonce. Elsewhere the header stays exactly 'self'.
    "script-src": ["'self'", CSP.NONCE],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}

# Security events (articles.web.security_log) are JSON lines on stderr, one object per event, for a
# log shipper to forward; everything else is plain text as before.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "at",  # ISO 8601 in UTC
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "loggers": {
        "embargo.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        "embargo.health": {"handlers": ["security"], "level": "WARNING", "propagate": False},
        # Django would log "Not Found: <path>" for every 404, a draft's slug or a share token in
        # clear; embargo.security logs each 404 with a keyed hash instead. Errors still show.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Background work (scheduled publication and withdrawal) runs on Django's tasks framework, stored
# in the database and run by `manage.py db_worker` (django-tasks-db).
# HTTP caches in front of the site (Varnish, a CDN): purged through the task outbox on every change
# of what is public (articles/frontend_cache.py). Empty: no cache in front, nothing purged.
EMBARGO_HTTP_CACHE_PURGE_URL = _read("str", "EMBARGO_HTTP_CACHE_PURGE_URL", "") and (
    _read_http_url("EMBARGO_HTTP_CACHE_PURGE_URL", None)
)
EMBARGO_HTTP_CACHE_PURGE_BACKEND = "articles.frontend_cache.VarnishPurge"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The content API's rates (django-ninja's "N/s|m|h|d"): per address for the public, per token.
EMBARGO_API_RATE_PUBLIC = "120/m"
EMBARGO_API_RATE_TOKEN = "600/m"  # noqa: S105  (a rate, not a secret)
# Webhooks go to public addresses only (articles/api/destinations.py); these networks are allowed too.
EMBARGO_WEBHOOK_ALLOWED_NETWORKS = _read_networks("EMBARGO_WEBHOOK_ALLOWED_NETWORKS")
# Token guessing (articles/api/guessing.py): after this many refused credentials from one address,
# every credentialed request from it gets 429 until the window its first refusal started ends.
EMBARGO_API_AUTH_FAILURE_LIMIT = _read_positive_int("EMBARGO_API_AUTH_FAILURE_LIMIT", 10)
EMBARGO_API_AUTH_FAILURE_WINDOW = timedelta(minutes=15)

if ENVIRONMENT == "test":
    # Password hashing is deliberately slow; the test suite creates hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
