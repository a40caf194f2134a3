"""A change of what is public, its page-cache invalidation and its audit event: all or nothing.

Faults are injected with a database trigger (SQLite and PostgreSQL syntax) that makes one of the
writes fail, as a full disk, a lost replica or a bad migration would.
"""

import contextlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Status
from articles.web.caching import public_generation, public_pages_changed
from tests.factories import make_article

pytestmark = pytest.mark.django_db

FAULT = "injected fault"
# (table, the write the trigger refuses)
GENERATION_UPDATE = ("articles_pagecachegeneration", "UPDATE")
AUDIT_INSERT = ("articles_auditevent", "INSERT")


@contextlib.contextmanager
def failing_writes(table: str, operation: str):
    """Make every ``operation`` on ``table`` fail with FAULT until the block ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION embargo_fault() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{FAULT}'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER embargo_fault BEFORE {operation} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION embargo_fault()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER embargo_fault BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{FAULT}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER embargo_fault ON {table}")
                cursor.execute("DROP FUNCTION embargo_fault()")
            else:
                cursor.execute("DROP TRIGGER embargo_fault")


@pytest.fixture
def live(client):
    """A published article whose page is in the page cache."""
    article = make_article("the-mythos-leak", status=Status.PUBLISHED, title="The Mythos leak")
    publishing.page_cache_purge(actor=SYSTEM)  # the generation row exists, as on any running site
    assert client.get("/articles/the-mythos-leak/").status_code == 200
    return article


def withdraw_events(article: Article) -> int:
    return AuditEvent.objects.filter(article=article, action=AuditEvent.Action.WITHDRAW).count()


@pytest.mark.parametrize("fault", [GENERATION_UPDATE, AUDIT_INSERT], ids=["generation", "audit"])
def test_a_withdrawal_whose_invalidation_or_audit_fails_changes_nothing(client, live, fault):
    """The command exits 1 with a message (no traceback); the article is still published."""
    generation = public_generation()
    with failing_writes(*fault), pytest.raises(CommandError) as refused:
        call_command("withdraw", "the-mythos-leak", stdout=io.StringIO())
    assert refused.value.returncode == 1
    assert str(refused.value) == (
        f"the-mythos-leak: the database refused to withdraw it ({FAULT}), so nothing was "
        "changed. Fix the database and run the command again."
    )
    live.refresh_from_db()
    assert live.status == Status.PUBLISHED
    assert withdraw_events(live) == 0
    assert public_generation() == generation

    out = io.StringIO()
    call_command("withdraw", "the-mythos-leak", stdout=out)
    assert out.getvalue() == "Withdrew the-mythos-leak.\n"
    live.refresh_from_db()
    assert live.status == Status.WITHDRAWN
    assert withdraw_events(live) == 1
    assert public_generation() == generation + 1
    assert client.get("/articles/the-mythos-leak/").status_code == 404


def test_a_publication_whose_invalidation_fails_changes_nothing(live):
    draft = make_article("next-story")
    with failing_writes(*GENERATION_UPDATE), pytest.raises(CommandError, match=FAULT):
        call_command("publish", "next-story", stdout=io.StringIO())
    draft.refresh_from_db()
    assert (draft.status, draft.live_revision) == (Status.DRAFT, None)
    assert not AuditEvent.objects.filter(article=draft, action=AuditEvent.Action.PUBLISH).exists()


def test_a_due_withdrawal_whose_invalidation_fails_is_left_for_the_next_run(live):
    """publish_scheduled's transitions are as atomic as the commands'."""
    Article.objects.filter(pk=live.pk).update(unpublish_at=timezone.now())
    with failing_writes(*GENERATION_UPDATE), pytest.raises(DatabaseError, match=FAULT):
        publishing.publish_due_articles()
    live.refresh_from_db()
    assert live.status == Status.PUBLISHED
    assert withdraw_events(live) == 0
    _published, withdrawn = publishing.publish_due_articles()
    assert [article.slug for article in withdrawn] == ["the-mythos-leak"]
    assert withdraw_events(live) == 1


def test_a_state_change_that_touches_no_public_page_keeps_the_cache(live):
    draft = make_article("quiet-draft")
    generation = public_generation()
    publishing.article_submit(actor=SYSTEM, article=draft)
    assert public_generation() == generation
    assert AuditEvent.objects.filter(article=draft, action=AuditEvent.Action.SUBMIT).exists()


def test_outside_caches_hear_of_a_change_only_once_it_committed(
    live, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, slugs, **kwargs):
        heard.append(slugs)

    public_pages_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            publishing.article_withdraw(actor=SYSTEM, article=live)
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        public_pages_changed.disconnect(receiver)
    assert heard == [("the-mythos-leak",)]


# --- purge_cache -----------------------------------------------------------------------------------


def test_purge_cache_drops_every_cached_public_page(client, live):
    Article.objects.filter(pk=live.pk).update(status=Status.WITHDRAWN)  # changed behind Embargo
    assert client.get("/articles/the-mythos-leak/").status_code == 200  # from the page cache
    out = io.StringIO()
    call_command("purge_cache", stdout=out)
    assert out.getvalue() == (
        f"Purged every cached public page (page-cache generation {public_generation()}).\n"
    )
    assert client.get("/articles/the-mythos-leak/").status_code == 404


def test_purge_cache_with_a_slug_names_it_to_outside_caches(
    live, django_capture_on_commit_callbacks
):
    heard = []

    def receiver(sender, slugs, **kwargs):
        heard.append(slugs)

    public_pages_changed.connect(receiver)
    out = io.StringIO()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("purge_cache", "the-mythos-leak", stdout=out)
    finally:
        public_pages_changed.disconnect(receiver)
    assert "the-mythos-leak included" in out.getvalue()
    assert heard == [("the-mythos-leak",)]


def test_purge_cache_refuses_an_unknown_slug(live):
    generation = public_generation()
    with pytest.raises(CommandError, match="SLUG: there is no article “no-such-story”"):
        call_command("purge_cache", "no-such-story", stdout=io.StringIO())
    assert public_generation() == generation


def test_the_local_memory_cache_warning_does_not_claim_withdrawals_miss_processes(settings):
    """embargo.W001: the generation is in the database, so every process sees a withdrawal."""
    from articles.checks import check_shared_cache_in_production

    settings.ENVIRONMENT = "production"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (warning,) = check_shared_cache_in_production()
    assert warning.id == "embargo.W001"
    assert "purges only" not in warning.msg
    assert "A withdrawal still reaches every process" in warning.msg
