"""import_articles' batches: new articles written many to a transaction, as one at a time would.

Each file of a batch is checked before the batch is written, so a bad one fails alone and leaves
nothing; a batch whose write fails keeps nothing and its files are imported one by one.
"""

import io
import logging
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from guardian.models import GroupObjectPermission, UserObjectPermission

from articles import publishing
from articles.access import SYSTEM
from articles.models import (
    Article,
    AuditEvent,
    Classification,
    Status,
    Tag,
    WebhookDelivery,
    WebhookEndpoint,
)
from articles.publishing import classification
from articles.web.caching import public_generation
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


def write(directory: Path, name: str, slug: str, *, status: str = "draft", tags: str = "[news]"):
    (directory / name).write_text(
        f'---\ntitle: "Title of {slug}"\nslug: {slug}\nstatus: {status}\ntags: {tags}\n---\n'
        f"Words of *{slug}*.\n",
        encoding="utf-8",
    )


def run_import(directory: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", str(directory), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_bad_file_in_a_batch_fails_alone_leaves_no_rows_and_is_reported(tmp_path):
    write(tmp_path, "a.md", "first", status="published")
    write(tmp_path, "b.md", "bad", status="published", tags='[news, "!!!"]')
    write(tmp_path, "c.md", "third")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 files failed"):
        call_command("import_articles", str(tmp_path), stdout=out, stderr=err)
    assert "b.md: tags: “!!!” cannot be used as a tag." in err.getvalue()
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["first", "third"]
    assert not AuditEvent.objects.filter(article_slug="bad").exists()
    assert "2 created, 0 updated, 1 failed (3 files; 2 written in 1 batches" in out.getvalue()


def test_a_batch_whose_write_fails_keeps_nothing_and_its_files_go_one_by_one(tmp_path, monkeypatch):
    def refused(**kwargs):
        raise DatabaseError("disk I/O error")

    # The batch's publication fails after its articles were inserted: they must not survive.
    monkeypatch.setattr(publishing, "articles_publish", refused)
    write(tmp_path, "a.md", "first", status="published")
    write(tmp_path, "b.md", "second")
    out, err = run_import(tmp_path)
    assert (
        "a.md to b.md: the batch could not be written (disk I/O error); nothing of it was kept, "
        "and its files are imported one by one." in err
    )
    assert "2 created, 0 updated, 0 failed (2 files; 0 written in 0 batches" in out
    assert dict(Article.objects.values_list("slug", "status")) == {
        "first": Status.PUBLISHED,
        "second": Status.DRAFT,
    }
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 2


def _as_stored(slug: str) -> dict:
    """What an import left of ``slug``, without what differs by nature (keys, times, the slug)."""
    article = Article.objects.get(slug=slug)
    revision = article.latest_revision
    events = article.audit_events.order_by("pk")
    return {
        "article": (
            article.status,
            article.version,
            article.classification,
            article.author_id,
            article.live_revision_id == revision.pk,
            article.published_at == article.updated_at,
        ),
        "revision": (
            revision.number,
            revision.title.replace(slug, "SLUG"),
            revision.body_html.replace(slug, "SLUG"),
            revision.body_text.replace(slug, "SLUG"),
            revision.created_by_id,
            sorted(revision.tags.values_list("name", flat=True)),
        ),
        "events": [
            (event.action, event.actor_id, event.actor_name, event.detail) for event in events
        ],
        "grants": (
            UserObjectPermission.objects.filter(object_pk=str(article.pk)).count(),
            GroupObjectPermission.objects.filter(object_pk=str(article.pk)).count(),
        ),
    }


@pytest.mark.parametrize("status", ["published", "draft"])
def test_a_batch_stores_and_records_each_article_as_one_at_a_time_does(
    tmp_path, monkeypatch, status
):
    alone, batched = tmp_path / "alone", tmp_path / "batched"
    alone.mkdir()
    batched.mkdir()
    write(alone, "alone.md", "alone", status=status, tags="[news, Topic One]")
    monkeypatch.setattr(
        "articles.management.commands.import_articles.is_batchable", lambda _: False
    )
    out, _err = run_import(alone)
    assert "0 written in 0 batches" in out
    monkeypatch.undo()
    write(batched, "batched.md", "batched", status=status, tags="[news, Topic One]")
    out, _err = run_import(batched)
    assert "1 written in 1 batches" in out
    assert _as_stored("batched") == _as_stored("alone")


def test_a_batch_invalidates_the_page_cache_once_and_queues_a_webhook_per_publication(tmp_path):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.test/", secret="s" * 32, events=["published"]
    )
    for n in range(3):
        write(tmp_path, f"p{n}.md", f"published-{n}", status="published")
    write(tmp_path, "d.md", "draft-only")
    before = public_generation()
    run_import(tmp_path)
    assert public_generation() == before + 1
    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [(d.event, d.payload["slug"]) for d in deliveries] == [
        ("published", f"published-{n}") for n in range(3)
    ]


def test_a_batch_that_publishes_nothing_leaves_the_page_cache_alone(tmp_path):
    write(tmp_path, "a.md", "first")
    write(tmp_path, "b.md", "second")
    before = public_generation()
    run_import(tmp_path)
    assert public_generation() == before
    assert not Article.objects.published().exists()


def test_each_publication_of_a_batch_is_in_the_security_log(tmp_path, caplog):
    security = logging.getLogger("embargo.security")
    security.addHandler(caplog.handler)
    try:
        write(tmp_path, "a.md", "first", status="published")
        write(tmp_path, "b.md", "second", status="published")
        write(tmp_path, "c.md", "third")
        with caplog.at_level(logging.INFO, logger="embargo.security"):
            run_import(tmp_path)
    finally:
        security.removeHandler(caplog.handler)
    published = [r for r in caplog.records if getattr(r, "event", None) == "publish"]
    assert [record.slug for record in published] == ["first", "second"]


def test_an_existing_slug_is_updated_one_by_one_beside_a_batch(tmp_path):
    write(tmp_path, "a.md", "kept")
    run_import(tmp_path)
    write(tmp_path, "a.md", "kept", status="published")
    write(tmp_path, "b.md", "new")
    out, _err = run_import(tmp_path)
    assert "1 created, 1 updated, 0 failed (2 files; 1 written in 1 batches" in out
    kept = Article.objects.get(slug="kept")
    assert (kept.status, kept.latest_revision.number) == (Status.PUBLISHED, 2)


def test_two_spellings_of_one_tag_in_a_batch_are_one_tag_spelt_as_first_written(tmp_path):
    write(tmp_path, "a.md", "first", tags="[Breaking News, breaking news]")
    write(tmp_path, "b.md", "second", tags="[breaking-news]")
    run_import(tmp_path)
    assert list(Tag.objects.values_list("name", flat=True)) == ["Breaking News"]
    for article in Article.objects.all():
        assert list(article.latest_revision.tags.values_list("name", flat=True)) == [
            "Breaking News"
        ]


def test_a_batch_stores_the_search_document_of_what_it_publishes(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the stored document is PostgreSQL's: run with DATABASE_URL=postgres://…")
    write(tmp_path, "a.md", "first", status="published")
    write(tmp_path, "b.md", "second")
    run_import(tmp_path)
    indexed = Article.objects.filter(search_vector__isnull=False)
    assert list(indexed.values_list("slug", flat=True)) == ["first"]


# The batch publication service on its own: the rules of article_publish, all or nothing.


def test_publishing_many_refuses_a_restricted_article_without_approval_and_publishes_none():
    plain = make_article("plain")
    restricted = make_article("restricted")
    classification.article_classify(
        actor=SYSTEM, article=restricted, classification=Classification.RESTRICTED
    )
    with pytest.raises(ValidationError, match="restricted"):
        publishing.articles_publish(actor=SYSTEM, articles=[plain, restricted])
    assert not Article.objects.published().exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISH).exists()


def test_publishing_many_refuses_what_has_nothing_new_to_publish():
    live = make_article("live", status=Status.PUBLISHED)
    with pytest.raises(ValidationError, match="nothing new to publish"):
        publishing.articles_publish(actor=SYSTEM, articles=[live])


def test_publishing_many_needs_the_publish_permission():
    writer = make_user("writer", perms=("add_article",))
    draft = make_article("mine", actor=writer)
    with pytest.raises(PermissionDenied):
        publishing.articles_publish(actor=writer, articles=[draft])
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT
