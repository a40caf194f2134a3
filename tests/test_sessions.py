"""Sessions (``articles.sessions``): Django's database sessions, read through SQL compiled once."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from articles.sessions import SessionStore
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def stored_session(**data) -> str:
    session = SessionStore()
    session.update(data)
    session.create()
    return session.session_key


def test_a_stored_session_loads_its_data():
    key = stored_session(reader="one")
    assert SessionStore(session_key=key).load() == {"reader": "one"}


def test_an_expired_session_loads_nothing_and_its_key_is_dropped():
    key = stored_session(reader="one")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    session = SessionStore(session_key=key)
    assert session.load() == {}
    assert session.session_key is None


def test_a_key_that_names_no_session_loads_nothing():
    session = SessionStore(session_key="x" * 32)
    assert session.load() == {}
    assert session.session_key is None


def test_a_signed_in_reader_stays_signed_in_and_is_signed_out_by_logout(client):
    client.force_login(make_user("reader"))
    assert b"Account" in client.get("/").content
    client.logout()
    assert b"Sign in" in client.get("/").content
