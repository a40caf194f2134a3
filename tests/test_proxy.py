"""Behind the trusted TLS proxy the lock-out counts each client; without one, X-Forwarded-For is ignored."""

import pytest
from django.contrib.auth.models import User

from articles.web.client_address import client_address

PROXY = "10.0.0.2"
WRONG = {"username": "editor", "password": "guess"}


@pytest.fixture
def editor(db):
    return User.objects.create_user("editor", password="correct horse battery")


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-Proto"
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def fail_logins(client, settings, **headers) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", WRONG, REMOTE_ADDR=PROXY, **headers)


def sign_in(client, **headers):
    return client.post(
        "/accounts/login/",
        {"username": "editor", "password": "correct horse battery"},
        REMOTE_ADDR=PROXY,
        **headers,
    )


def test_behind_the_proxy_an_attacker_locks_out_only_their_own_address(
    client, editor, behind_proxy
):
    """One attacker must not lock the real editor out by failing from behind the same proxy."""
    fail_logins(client, behind_proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert sign_in(client, HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429
    assert sign_in(client, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_behind_the_proxy_a_forged_forwarded_entry_does_not_buy_a_new_budget(
    client, editor, behind_proxy
):
    """Entries left of the proxy's own were written by the client: they are not counted."""
    fail_logins(client, behind_proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.66")
    assert sign_in(client, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.66").status_code == 429


def test_without_a_proxy_forwarded_for_is_the_clients_claim_and_ignored(client, editor, settings):
    settings.TRUSTED_PROXY_HEADER = ""
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            WRONG,
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    locked = client.post(
        "/accounts/login/",
        {"username": "editor", "password": "correct horse battery"},
        REMOTE_ADDR="203.0.113.66",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert locked.status_code == 429


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        ("203.0.113.66", 1, "203.0.113.66"),
        ("1.1.1.1, 203.0.113.66", 1, "203.0.113.66"),
        ("203.0.113.66, 10.0.0.9", 2, "203.0.113.66"),
        ("203.0.113.66", 2, PROXY),  # fewer entries than proxies: the chain is not trustworthy
        ("not-an-address", 1, PROXY),
        ("", 1, PROXY),
    ],
)
def test_client_address_is_the_entry_the_trusted_proxies_wrote(
    rf, behind_proxy, forwarded, count, expected
):
    behind_proxy.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
