"""EMBARGO_HTTPS behind a trusted proxy: redirect, HSTS and the proxy header, from the environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "EMBARGO_ENVIRONMENT": "production"}
READ = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'redirect': settings.SECURE_SSL_REDIRECT, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'subdomains': settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': settings.SECURE_HSTS_PRELOAD, "
    "'proxy': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), "
    "'secure_cookies': settings.SESSION_COOKIE_SECURE}))"
)


def settings_with(**variables: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EMBARGO_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "cms.settings",
        **PRODUCTION,
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_defaults_to_https_with_hsts_and_redirect():
    result = settings_with()
    assert json.loads(result.stdout) == {
        "redirect": True,
        "hsts": 31_536_000,
        "subdomains": True,
        "preload": False,
        "proxy": None,
        "secure_cookies": True,
    }


def test_the_proxy_header_and_hsts_come_from_the_environment():
    result = settings_with(
        EMBARGO_TRUSTED_PROXY_HEADER="X-Forwarded-Proto",
        EMBARGO_HSTS_SECONDS="3600",
        EMBARGO_HSTS_PRELOAD="true",
    )
    values = json.loads(result.stdout)
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (values["hsts"], values["preload"]) == (3600, True)


def test_https_off_turns_off_redirect_hsts_and_secure_cookies():
    values = json.loads(settings_with(EMBARGO_HTTPS="false").stdout)
    assert (values["redirect"], values["hsts"], values["secure_cookies"]) == (False, 0, False)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EMBARGO_HSTS_SECONDS", "-1", "must be 0 or more seconds"),
        ("EMBARGO_HSTS_SECONDS", "a year", "Not a valid integer"),
        ("EMBARGO_HSTS_PRELOAD", "maybe", "Not a valid boolean"),
        ("EMBARGO_TRUSTED_PROXY_HEADER", "X Forwarded Proto", "is not an HTTP header name"),
        ("EMBARGO_TRUSTED_PROXY_COUNT", "0", "must be 1 or more proxies"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value, message):
    result = settings_with(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr and message in result.stderr


@pytest.fixture
def https_site(settings, db, storage_sentinel):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return settings


def test_plain_http_is_redirected_to_https(client, https_site):
    response = client.get("/search/?q=harbour")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/search/?q=harbour"


def test_the_health_probe_is_answered_over_plain_http(client, https_site):
    assert client.get("/healthz").status_code == 200


def test_behind_the_proxy_https_requests_get_hsts(client, https_site):
    response = client.get("/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_https_without_a_trusted_proxy_header_is_a_deploy_warning(settings):
    """Behind a TLS proxy, the redirect would loop: check --deploy says what to set."""
    from articles.checks import check_https_behind_a_named_proxy

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    assert [m.id for m in check_https_behind_a_named_proxy()] == ["embargo.W002"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert check_https_behind_a_named_proxy() == []
