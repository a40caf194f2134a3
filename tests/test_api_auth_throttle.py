"""Guessing API tokens: refused credentials from one client address are counted, and past
``EMBARGO_API_AUTH_FAILURE_LIMIT`` every credentialed request from it gets the same 429 until the
window passes (as django-axes locks out password guessing). The address is the one the sign-in
lock-out counts (articles/web/client_address.py): the trusted proxy's word, or the connection's."""

import pytest
from django.contrib.auth.models import User

from articles.api import tokens
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

LIMIT = 3
PLAUSIBLE = "Bearer emb_" + "A" * 43  # the shape of a real token, not one that exists
SHAPES = [PLAUSIBLE, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "]


@pytest.fixture(autouse=True)
def limit(settings):
    settings.EMBARGO_API_AUTH_FAILURE_LIMIT = LIMIT


@pytest.fixture
def secret() -> str:
    owner = User.objects.create_user("tess")
    return tokens.api_token_create(owner=owner)[1]


def get(client, authorization: str | None = None, **meta):
    headers = {"authorization": authorization} if authorization is not None else {}
    return client.get("/api/v1/tags", headers=headers, **meta)


def test_repeated_bad_tokens_from_one_address_get_429_after_the_limit(client):
    answers = [get(client, PLAUSIBLE).status_code for _ in range(LIMIT + 2)]
    assert answers == [401] * LIMIT + [429, 429]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_kind_of_bad_credential_counts_and_is_answered_alike(client, shape):
    """A 429 (or a 401) must not tell a plausible token from garbage."""
    other = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(LIMIT):
        assert_same_shape(get(client, shape), get(client, PLAUSIBLE, **other))
    assert_same_shape(get(client, shape), get(client, PLAUSIBLE, **other))


def test_a_locked_out_address_gets_429_even_for_a_valid_token(client, secret):
    """Otherwise the lock-out would still answer "right" or "wrong" for each guess."""
    for _ in range(LIMIT):
        get(client, PLAUSIBLE)
    assert get(client, f"Bearer {secret}").status_code == 429


def test_valid_tokens_are_never_counted(client, secret):
    for _ in range(LIMIT * 3):
        assert get(client, f"Bearer {secret}").status_code == 200
    assert get(client, PLAUSIBLE).status_code == 401


def test_the_public_without_a_credential_is_not_locked_out(client):
    for _ in range(LIMIT):
        get(client, PLAUSIBLE)
    assert get(client).status_code == 200


def test_another_address_is_not_locked_out(client):
    for _ in range(LIMIT):
        get(client, PLAUSIBLE, REMOTE_ADDR="203.0.113.7")
    assert get(client, PLAUSIBLE, REMOTE_ADDR="203.0.113.8").status_code == 401


def test_without_a_trusted_proxy_a_forwarded_for_header_does_not_reset_the_count(client, settings):
    settings.TRUSTED_PROXY_HEADER = ""
    for n in range(LIMIT):
        get(client, PLAUSIBLE, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert get(client, PLAUSIBLE, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_the_trusted_proxy_clients_are_counted_apart(client, settings):
    """Every request comes from the proxy: counting it would let one guesser lock everyone out."""
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-Proto"
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(LIMIT):
        get(client, PLAUSIBLE, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    guesser = get(client, PLAUSIBLE, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    other = get(client, PLAUSIBLE, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert (guesser.status_code, other.status_code) == (429, 401)


def test_the_public_rate_ignores_a_forwarded_for_header_without_a_trusted_proxy(client, settings):
    """The public's rate is per address too, and a client's own header names no address."""
    settings.TRUSTED_PROXY_HEADER = ""
    settings.EMBARGO_API_RATE_PUBLIC = "2/m"
    answers = [
        get(client, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", QUERY_STRING=f"n={n}").status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]
