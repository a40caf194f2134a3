"""Writes that change nothing public still leave a record: tracing a leak, autosaving a draft,
and creating an account. Each record is written in the transaction of its write."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from articles import publishing
from articles.access import SYSTEM
from articles.models import AuditEvent, Autosave
from articles.publishing import editing
from tests.factories import make_article, make_user, pdf_bytes

pytestmark = pytest.mark.django_db


def events(action: str):
    return AuditEvent.objects.filter(action=action)


# --- trace_leak -----------------------------------------------------------------------------------


@pytest.fixture
def leaked_pdf(client, tmp_path):
    """A copy served through a share link, found outside: the file trace_leak is given."""
    article = make_article("quiet-harbour", body="[the card](card.pdf)", files=[pdf_bytes()])
    link, token = publishing.preview_link_issue(actor=SYSTEM, article=article, label="Counsel")
    card = article.latest_revision.assets.get()
    response = client.get(f"/preview/{token}/assets/{card.token}/{card.download_name}")
    path = tmp_path / "found.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    return article, link, path


def test_tracing_a_leaked_copy_is_recorded_with_the_mark_it_named(leaked_pdf):
    article, link, path = leaked_pdf
    call_command("trace_leak", str(path), stdout=io.StringIO())

    (event,) = events(AuditEvent.Action.TRACE)
    assert event.article == article
    assert event.actor_name == "manage.py trace_leak"
    assert event.detail["mark"] == link.mark.pk
    assert event.detail["recipient"] == "Counsel"
    assert event.detail["kind"] == "PDF"


def test_a_copy_without_a_mark_records_nothing(tmp_path):
    path = tmp_path / "plain.pdf"
    path.write_bytes(pdf_bytes().read())
    with pytest.raises(Exception, match="No Embargo mark"):
        call_command("trace_leak", str(path), stdout=io.StringIO())
    assert not events(AuditEvent.Action.TRACE).exists()


# --- autosave -------------------------------------------------------------------------------------


@pytest.fixture
def editor():
    return make_user("eve", groups=("Editors",))


@pytest.fixture
def draft():
    return make_article("quiet-merger", body="Saved words.")


def autosave(editor, draft, body: str):
    return editing.autosave_store(
        actor=editor, article=draft, title="T", summary="", body=body, tags=""
    )


def test_the_first_autosave_of_an_editing_session_is_recorded_once(editor, draft):
    """Typing autosaves every few seconds: the trail says who began unsaved work, not each keystroke."""
    autosave(editor, draft, "first")
    autosave(editor, draft, "second")
    autosave(editor, draft, "third")

    (event,) = events(AuditEvent.Action.AUTOSAVE)
    assert (event.actor, event.article) == (editor, draft)


def test_after_a_save_or_discard_the_next_autosave_starts_a_new_session(editor, draft):
    autosave(editor, draft, "first")
    editing.autosave_discard(actor=editor, article=draft)
    autosave(editor, draft, "again")

    assert events(AuditEvent.Action.AUTOSAVE).count() == 2


def test_an_autosave_that_rolls_back_leaves_no_record(editor, draft):
    with pytest.raises(RuntimeError), transaction.atomic():
        autosave(editor, draft, "first")
        raise RuntimeError("the request fails after the autosave")

    assert not Autosave.objects.exists()
    assert not events(AuditEvent.Action.AUTOSAVE).exists()


# --- account creation -----------------------------------------------------------------------------


def test_creating_an_account_in_the_admin_is_recorded(client):
    root = User.objects.create_superuser("root")
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="newcomer")

    (event,) = events(AuditEvent.Action.ACCOUNT_CREATE)
    assert (event.actor, event.target_user, event.target_name) == (root, created, "newcomer")


def test_a_refused_account_creation_records_nothing(client):
    root = User.objects.create_superuser("root")
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "usable_password": "true", "password1": "a", "password2": "b"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="newcomer").exists()
    assert not events(AuditEvent.Action.ACCOUNT_CREATE).exists()
