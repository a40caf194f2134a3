"""Every variable in the README's configuration table, read by a fresh process as start-up reads it.

A variable read wrongly (a parsed type from the environment, the raw default otherwise) only shows
when the process starts with that variable set, so each case starts its own Python: once with a valid
non-default value, once with a bad one, and once with everything set together.
"""

import base64
import ipaddress
import os
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "settings-test-" + "k3y-" * 12

# Evaluated in the child after django.setup(); prints the pickled results on stdout.
CHILD = """
import base64, os, pickle, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings"
import django
from django.conf import settings
django.setup()
values = {expr: eval(expr, {"settings": settings}) for expr in sys.argv[1:]}
sys.stdout.write(base64.b64encode(pickle.dumps(values)).decode())
"""


@dataclass(frozen=True)
class Case:
    """A valid non-default value and the setting it must produce, and a value start-up must refuse."""

    valid: str
    setting: str
    expected: object
    bad: str
    needs: dict[str, str] = field(default_factory=dict)


S3 = {"EMBARGO_STORAGE": "s3", "EMBARGO_S3_BUCKET": "embargo-assets"}
ASSET_OPTIONS = 'settings.STORAGES["assets"]["OPTIONS"]'

CASES = {
    "EMBARGO_ENVIRONMENT": Case("development", "settings.ENVIRONMENT", "development", "staging"),
    "DJANGO_SECRET_KEY": Case(
        "z" * 20 + "-Secret-Key-0123456789-" * 2, "len(settings.SECRET_KEY)", 66, "short"
    ),
    "DJANGO_DEBUG": Case("true", "settings.DEBUG", True, "maybe"),
    "DJANGO_ALLOWED_HOSTS": Case(
        "news.example,www.news.example",
        "settings.ALLOWED_HOSTS",
        ["news.example", "www.news.example"],
        "https://news.example/",
    ),
    "DJANGO_CSRF_TRUSTED_ORIGINS": Case(
        "https://news.example",
        "settings.CSRF_TRUSTED_ORIGINS",
        ["https://news.example"],
        "news.example",
    ),
    "DATABASE_URL": Case(
        "postgres://embargo@db.example:5432/newsroom",
        '[settings.DATABASES["default"][key] for key in ("ENGINE", "HOST", "NAME",'
        ' "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")]',
        ["django.db.backends.postgresql", "db.example", "newsroom", 60, True],
        "nonsense",
    ),
    "REDIS_URL": Case(
        "redis://127.0.0.1:6379/3",
        '[settings.CACHES["default"].get(key) for key in ("BACKEND", "LOCATION", "OPTIONS")]'
        " + [settings.EMBARGO_GENERATION_IN_CACHE]",
        [
            "articles.redis_cache.ReusedClientRedisCache",
            "redis://127.0.0.1:6379/3",
            {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            True,
        ],
        "http://127.0.0.1:6379",
    ),
    "EMBARGO_HTTP_CACHE_PURGE_URL": Case(
        "http://127.0.0.1:6081/",
        "settings.EMBARGO_HTTP_CACHE_PURGE_URL",
        "http://127.0.0.1:6081",
        "varnish:6081",
    ),
    "EMBARGO_ASSET_DELIVERY": Case(
        "presigned", "settings.EMBARGO_ASSET_DELIVERY", "presigned", "sendfile", needs=S3
    ),
    "EMBARGO_STORAGE": Case(
        "s3",
        'settings.STORAGES["assets"]["BACKEND"]',
        "storages.backends.s3.S3Storage",
        "ftp",
        needs={"EMBARGO_S3_BUCKET": "embargo-assets"},
    ),
    "EMBARGO_ASSET_ROOT": Case(
        "/srv/embargo/assets", "settings.ASSET_ROOT", Path("/srv/embargo/assets"), "relative/assets"
    ),
    "EMBARGO_S3_BUCKET": Case(
        "newsroom-private",
        f'{ASSET_OPTIONS}["bucket_name"]',
        "newsroom-private",
        "Not A Bucket",
        needs={"EMBARGO_STORAGE": "s3"},
    ),
    "EMBARGO_S3_ENDPOINT_URL": Case(
        "http://127.0.0.1:9000/",
        f'{ASSET_OPTIONS}["endpoint_url"]',
        "http://127.0.0.1:9000",
        "127.0.0.1:9000",
        needs=S3,
    ),
    "EMBARGO_S3_REGION": Case(
        "eu-west-1", f'{ASSET_OPTIONS}["region_name"]', "eu-west-1", "EU West", needs=S3
    ),
    "EMBARGO_BASE_URL": Case(
        "https://news.example/", "settings.EMBARGO_BASE_URL", "https://news.example", "news.example"
    ),
    "EMBARGO_PREVIEW_TTL": Case(
        "24h", "settings.EMBARGO_PREVIEW_TTL", timedelta(hours=24), "forever"
    ),
    "EMBARGO_PREVIEW_MAX_TTL": Case(
        "90d", "settings.EMBARGO_PREVIEW_MAX_TTL", timedelta(days=90), "1h"
    ),
    "EMBARGO_MAX_UPLOAD_BYTES": Case(
        "1048576", "settings.EMBARGO_MAX_UPLOAD_BYTES", 1_048_576, "20MB"
    ),
    "EMBARGO_MAX_IMAGE_PIXELS": Case(
        "1000000", "settings.EMBARGO_MAX_IMAGE_PIXELS", 1_000_000, "0"
    ),
    "EMBARGO_PUBLIC_MAX_AGE": Case("60", "settings.EMBARGO_PUBLIC_MAX_AGE", 60, "-1"),
    "EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS": Case(
        "1", "settings.EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS", 1, "three"
    ),
    "EMBARGO_LOGIN_FAILURE_LIMIT": Case("3", "settings.AXES_FAILURE_LIMIT", 3, "0"),
    "EMBARGO_WEBHOOK_ALLOWED_NETWORKS": Case(
        "10.20.0.0/16, fd00::/8,192.0.2.7",
        "settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS",
        (
            ipaddress.ip_network("10.20.0.0/16"),
            ipaddress.ip_network("fd00::/8"),
            ipaddress.ip_network("192.0.2.7/32"),
        ),
        "10.20.0.0/33",
    ),
    "EMBARGO_API_AUTH_FAILURE_LIMIT": Case(
        "4", "settings.EMBARGO_API_AUTH_FAILURE_LIMIT", 4, "none"
    ),
    "EMBARGO_HTTPS": Case("false", "settings.EMBARGO_HTTPS", False, "sometimes"),
    "EMBARGO_TIME_ZONE": Case("Europe/London", "settings.TIME_ZONE", "Europe/London", "Mars/Base"),
    "EMBARGO_HSTS_SECONDS": Case("3600", "settings.EMBARGO_HSTS_SECONDS", 3600, "a year"),
    "EMBARGO_HSTS_PRELOAD": Case("true", "settings.EMBARGO_HSTS_PRELOAD", True, "maybe"),
    "EMBARGO_TRUSTED_PROXY_HEADER": Case(
        "X-Forwarded-Proto",
        "settings.TRUSTED_PROXY_HEADER",
        "X-Forwarded-Proto",
        "X Forwarded Proto",
    ),
    "EMBARGO_TRUSTED_PROXY_COUNT": Case("2", "settings.TRUSTED_PROXY_COUNT", 2, "0"),
}


def readme_variables() -> set[str]:
    """The variable names in the first column of the README's configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def start(environment: dict[str, str], *expressions: str) -> subprocess.CompletedProcess:
    """Start a fresh Python with only ``environment`` (plus PATH) and read ``expressions`` from it."""
    env = {"PATH": os.environ["PATH"], "EMBARGO_ENVIRONMENT": "production"}
    env["DJANGO_SECRET_KEY"] = SECRET_KEY
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", CHILD, *expressions],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(environment: dict[str, str], *expressions: str) -> dict:
    result = start(environment, *expressions)
    assert result.returncode == 0, result.stderr
    return pickle.loads(base64.b64decode(result.stdout))  # noqa: S301 - our own child's output


def test_every_readme_variable_has_a_case():
    """A variable documented without a start-up test (or tested but not documented) fails here."""
    assert readme_variables() == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_valid_value_gives_the_setting_with_its_type(name):
    case = CASES[name]
    value = read_settings({**case.needs, name: case.valid}, case.setting)[case.setting]
    assert value == case.expected
    assert type(value) is type(case.expected)


def test_every_valid_value_together():
    environment = {name: case.valid for name, case in CASES.items()}
    values = read_settings(environment, *(case.setting for case in CASES.values()))
    for name, case in CASES.items():
        assert values[case.setting] == case.expected, name


def test_defaults_have_the_type_a_set_variable_has():
    """The hazard behind issue 9: ``env.url`` parsed a set variable but returned the default as a str."""
    needing_nothing = {name: case for name, case in CASES.items() if not case.needs}
    values = read_settings({}, *(case.setting for case in needing_nothing.values()))
    for name, case in needing_nothing.items():
        assert type(values[case.setting]) is type(case.expected), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_value_stops_start_up_naming_the_variable(name):
    case = CASES[name]
    result = start({**case.needs, name: case.bad}, "settings.DEBUG")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert name in last_line


def test_production_without_a_secret_key_says_how_to_make_one():
    result = start({"DJANGO_SECRET_KEY": ""}, "settings.DEBUG")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
