"""Security events are JSON lines on the embargo.security logger, with nothing hidden in clear."""

import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.web import security_log
from articles.web.security_log import audit_ref, request_ref
from tests.factories import make_article

SECRET_SLUG = "quiet-harbour"


@pytest.fixture
def events(caplog):
    """The records of embargo.security (it does not propagate to the root logger caplog watches)."""
    security_log._denials.clear()  # counts are per process: start each test from none
    logger = logging.getLogger("embargo.security")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="embargo.security")
    yield lambda: [r for r in caplog.records if r.name == "embargo.security"]
    logger.removeHandler(caplog.handler)


def as_json(record) -> dict:
    """The line the configured stderr handler writes for ``record``."""
    (handler,) = logging.getLogger("embargo.security").handlers[:1]
    return json.loads(handler.format(record))


@pytest.fixture
def draft(db):
    return make_article(SECRET_SLUG, title="Quiet Harbour Protocol")


def test_denied_reads_are_counted_under_a_keyed_hash(client, draft, events):
    for _ in range(2):
        client.get(f"/articles/{SECRET_SLUG}/")
    first, second = (as_json(record) for record in events())
    assert first["event"] == "read_denied"
    assert first["route"] == "article"
    assert first["ref"] == request_ref(SECRET_SLUG)
    assert (first["count"], second["count"]) == (1, 2)
    assert SECRET_SLUG not in json.dumps([first, second])


def test_a_hidden_article_and_a_missing_one_are_logged_alike(client, draft, events):
    """The log, like the response, must not tell a hidden slug from one that never existed."""
    client.get(f"/articles/{SECRET_SLUG}/")
    client.get("/articles/never-existed/")
    hidden, missing = (as_json(record) for record in events())
    for line in (hidden, missing):
        del line["at"], line["ref"]
    assert hidden == missing


def test_a_bad_share_token_is_logged_without_the_token(client, db, events):
    token = "bm90LWEtbGluaw:forged-signature"
    client.get(f"/preview/{token}/")
    (line,) = (as_json(record) for record in events())
    assert line["event"] == "share_token_refused"
    assert token not in json.dumps(line)


def test_an_expired_share_token_is_logged(client, draft, events):
    link, token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.get(f"/preview/{token}/")
    assert [as_json(r)["event"] for r in events()][-1] == "share_token_refused"


def test_a_lockout_is_logged(client, db, events, settings):
    User.objects.create_user("editor", password="correct horse battery")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "editor", "password": "guess"})
    lockouts = [as_json(r) for r in events() if as_json(r)["event"] == "login_locked_out"]
    assert lockouts == [
        {
            "at": lockouts[0]["at"],
            "level": "WARNING",
            "logger": "embargo.security",
            "message": "sign-in locked out",
            "event": "login_locked_out",
            "username": "editor",
            "client": "127.0.0.1",
        }
    ]


def test_grants_and_revokes_are_logged_with_the_article_as_a_ref(
    draft, events, django_capture_on_commit_callbacks
):
    reader = User.objects.create_user("reader")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
        publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", user=reader)
    lines = [as_json(record) for record in events()]
    assert [(line["event"], line["perm"], line["user"]) for line in lines] == [
        ("grant", "view", "reader"),
        ("revoke", "view", "reader"),
    ]
    assert {line["article_ref"] for line in lines} == {audit_ref(SECRET_SLUG)}
    assert SECRET_SLUG not in json.dumps(lines)


def test_publication_and_withdrawal_are_logged_by_name(
    draft, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_publish(actor=SYSTEM, article=draft)
        publishing.article_withdraw(actor=SYSTEM, article=draft)
    lines = [as_json(record) for record in events()]
    assert [(line["event"], line["slug"], line["actor"]) for line in lines] == [
        ("publish", SECRET_SLUG, "system"),
        ("withdraw", SECRET_SLUG, "system"),
    ]


def test_publication_names_the_slug_but_no_ref_that_earlier_events_used(
    draft, events, django_capture_on_commit_callbacks
):
    reader = User.objects.create_user("reader")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
        publishing.article_publish(actor=SYSTEM, article=draft)
    grant, publish = (as_json(record) for record in events())
    assert publish["slug"] == SECRET_SLUG
    assert "article_ref" not in publish
    assert grant["article_ref"] not in json.dumps(publish)


def test_404s_on_a_hidden_and_a_missing_slug_cannot_be_joined_to_audit_events(
    client, draft, events, django_capture_on_commit_callbacks
):
    """A 404's ref must not equal the article_ref of the hidden article's grants or share links."""
    reader = User.objects.create_user("reader")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
        link, _ = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
        publishing.preview_link_revoke(actor=SYSTEM, link=link)
    client.get(f"/articles/{SECRET_SLUG}/")
    client.get(f"/articles/{SECRET_SLUG}/draft/")
    client.get("/articles/never-existed/")
    lines = [as_json(record) for record in events()]
    audit = [line for line in lines if "article_ref" in line]
    denied = [line for line in lines if line["event"] == "read_denied"]
    assert [line["event"] for line in audit] == ["grant", "preview_issue", "preview_revoke"]
    assert len(denied) == 3
    audit_text = json.dumps(audit)
    assert [line["ref"] for line in denied if line["ref"] in audit_text] == []
    assert SECRET_SLUG not in json.dumps(lines)


def test_a_failed_transition_logs_nothing(draft, events, django_capture_on_commit_callbacks):
    """Only what committed is an event."""
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="cannot be withdrawn"),
    ):
        publishing.article_withdraw(actor=SYSTEM, article=draft)
    assert events() == []


def test_djangos_not_found_warning_does_not_print_the_slug(client, draft, caplog):
    with caplog.at_level(logging.DEBUG):
        client.get(f"/articles/{SECRET_SLUG}/")
    assert [r for r in caplog.records if SECRET_SLUG in r.getMessage()] == []
