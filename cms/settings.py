"""Embargo's only settings module: production differs from development by environment variables alone.

Every variable is documented in the README's configuration table. A bad value stops start-up with an
``ImproperlyConfigured`` naming the variable, rather than running with a guess.
"""

import secrets
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()


def _read(kind: str, name: str, *args, **kwargs):
    """Read one variable, turning a parse error into a start-up error that says what to set."""
    try:
        return getattr(env, kind)(name, *args, **kwargs)
    except EnvError as error:
        raise ImproperlyConfigured(f"{error}. Fix or unset {name} (see the README).") from error


DEBUG = _read("bool", "DJANGO_DEBUG", False)
# Production is the default: the conveniences of development (a generated secret key, cookies over
# plain http on localhost) must be asked for by name.
ENVIRONMENT = _read("str", "EMBARGO_ENVIRONMENT", "production")
if ENVIRONMENT not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"EMBARGO_ENVIRONMENT={ENVIRONMENT!r} is not known: use production, development or test."
    )
ALLOWED_HOSTS = _read("list", "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = _read("list", "DJANGO_CSRF_TRUSTED_ORIGINS", [])


def _secret_key() -> str:
    key = _read("str", "DJANGO_SECRET_KEY", "")
    if key:
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
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.middleware.EmbargoHeadersMiddleware",
    "articles.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Hidden and missing objects cost the same session work (and so the same headers and cookies).
    "articles.middleware.SameWorkForEveryRequestMiddleware",
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
            ],
        },
    },
]

DATABASES = {
    "default": _read(
        "dj_db_url", "DATABASE_URL", f"sqlite:///{VAR_DIR / 'embargo.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent publish_scheduled runs must serialise on SQLite: take the write lock at BEGIN.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = _read("str", "REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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
AXES_FAILURE_LIMIT = _read("int", "EMBARGO_LOGIN_FAILURE_LIMIT", 5)
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
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded assets never get a URL of their own: they live in private storage and are streamed by
# the asset view after the access check. There is deliberately no MEDIA_URL route.
ASSET_ROOT = Path(_read("str", "EMBARGO_ASSET_ROOT", str(VAR_DIR / "private-assets")))
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
            "bucket_name": _read("str", "EMBARGO_S3_BUCKET"),
            "endpoint_url": _read("str", "EMBARGO_S3_ENDPOINT_URL", None),
            "region_name": _read("str", "EMBARGO_S3_REGION", None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "location": "assets",
        },
    }
else:
    raise ImproperlyConfigured(
        f"EMBARGO_STORAGE={EMBARGO_STORAGE!r} is not a storage Embargo knows: use 'local' or 's3'."
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
EMBARGO_BASE_URL = _read("url", "EMBARGO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# environs parses "72h" from the environment but returns a default as given: defaults are timedeltas.
EMBARGO_PREVIEW_TTL = _read("timedelta", "EMBARGO_PREVIEW_TTL", timedelta(hours=72))
EMBARGO_PREVIEW_MAX_TTL = _read("timedelta", "EMBARGO_PREVIEW_MAX_TTL", timedelta(days=30))
EMBARGO_MAX_UPLOAD_BYTES = _read("int", "EMBARGO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
EMBARGO_MAX_IMAGE_PIXELS = _read("int", "EMBARGO_MAX_IMAGE_PIXELS", 40_000_000)
EMBARGO_PUBLIC_MAX_AGE = _read("int", "EMBARGO_PUBLIC_MAX_AGE", 300)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Sessions and CSRF: secure cookies whenever the site is not in development.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = ENVIRONMENT == "production" and _read("bool", "EMBARGO_HTTPS", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

if ENVIRONMENT == "test":
    # Password hashing is deliberately slow; the test suite creates hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
