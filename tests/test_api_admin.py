"""Tokens and webhooks in the admin: a token's secret is shown once; endpoints log every try."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from articles.access import SYSTEM
from articles.api import tokens
from articles.models import ApiToken, WebhookEndpoint
from tests.factories import staff


@pytest.fixture
def staffer(db):
    return staff("staffer")


def test_a_staff_member_creates_a_token_and_sees_it_once(client, staffer):
    client.force_login(staffer)
    response = client.post(
        "/admin/articles/apitoken/add/", {"label": "Build", "expires_at": ""}, follow=True
    )
    token = ApiToken.objects.get()
    assert token.owner == staffer and token.label == "Build"
    page = response.content.decode()
    secret = page.split("<code>")[1].split("</code>")[0]
    assert tokens.token_for(secret) == token
    assert secret not in client.get(f"/admin/articles/apitoken/{token.pk}/change/").content.decode()


def test_a_staff_member_sees_only_their_own_tokens(client, staffer):
    other = staff("other")
    tokens.api_token_create(owner=other, label="theirs")
    client.force_login(staffer)
    assert b"theirs" not in client.get("/admin/articles/apitoken/").content


def test_a_superuser_configures_an_endpoint(client, db):
    root = User.objects.create_superuser("root", password="x")
    client.force_login(root)
    client.post(
        "/admin/articles/webhookendpoint/add/",
        {
            "url": "https://hooks.example.test/embargo",
            "secret": "s" * 32,
            "events": ["published", "withdrawn"],
            "is_active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert WebhookEndpoint.objects.get().events == ["published", "withdrawn"]


def test_the_api_token_command_creates_lists_and_revokes(db, capsys):
    User.objects.create_user("alice")
    call_command("api_token", "create", "alice", "--expires", "30d", "--label", "CI")
    secret = capsys.readouterr().out.strip()
    token = tokens.token_for(secret)
    assert token is not None and token.label == "CI" and token.expires_at is not None
    call_command("api_token", "list", "alice")
    assert "live" in capsys.readouterr().out
    call_command("api_token", "revoke", str(token.pk))
    assert tokens.token_for(secret) is None
    call_command("api_token", "list")
    assert "dead" in capsys.readouterr().out


def test_who_can_see_lists_the_tokens_of_those_who_may_view(db):
    from articles import access, publishing
    from tests.factories import make_article

    article = make_article("quiet-harbour")
    reader = User.objects.create_user("reader")
    outsider = User.objects.create_user("outsider")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
    token, _ = tokens.api_token_create(owner=reader, label="feed")
    tokens.api_token_create(owner=outsider, label="nothing here")
    assert access.who_can_see(article).api_tokens == (token,)
    publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=reader)
    assert access.who_can_see(article).api_tokens == ()
