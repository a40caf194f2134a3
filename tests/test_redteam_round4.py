"""Red-team round 4: the changes merged on 1 December (the public-asset memo, the rendered error
pages, gunicorn's preload, the sampled exposure plan, the admin's refusals, the webhook guard, the
API token lock-out, marked copies on revoke), attacked as an outsider and a token guesser."""

import ipaddress

import pytest

from articles.api import destinations
from tests.factories import make_article

pytestmark = pytest.mark.django_db

LIMIT = 3
PLAUSIBLE = "Bearer emb_" + "A" * 43


@pytest.fixture
def limit(settings):
    settings.EMBARGO_API_AUTH_FAILURE_LIMIT = LIMIT


def guess(client, **meta):
    return client.get("/api/v1/tags", headers={"authorization": PLAUSIBLE}, **meta)


# --- the API token lock-out ----------------------------------------------------------------------


def test_filling_the_page_cache_does_not_end_a_token_lock_out(client, limit):
    """The embedded cache keeps 300 entries and culls the least used when full: a guesser who asks
    for a few hundred public pages under new query strings (each one stored) must not thereby
    evict their own refusal count and guess again."""
    make_article("open-water", status="published")
    for _ in range(LIMIT):
        guess(client)
    assert guess(client).status_code == 429
    for n in range(400):
        assert client.get(f"/?fill={n}").status_code == 200
    assert guess(client).status_code == 429


def test_an_ipv6_client_cannot_leave_the_lock_out_by_moving_within_its_64(client, limit):
    """One IPv6 subscriber holds a /64 (2**64 addresses): counted per address, every new one
    would start a fresh count."""
    for n in range(LIMIT):
        guess(client, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
    assert guess(client, REMOTE_ADDR="2001:db8:1:2::ffff").status_code == 429
    # Another subscriber's /64 is not locked out.
    assert guess(client, REMOTE_ADDR="2001:db8:1:3::1").status_code == 401


# --- the webhook guard ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["fec0::1", "feff:ffff::1"])
def test_a_webhook_is_not_sent_to_a_site_local_ipv6_address(address):
    """fec0::/10 is a site's internal addressing (RFC 3879 deprecated it, networks still use it),
    yet Python counts it as global."""
    assert destinations.address_problem(ipaddress.ip_address(address)) is not None
