"""What search finds moves with publication only: going live, leaving, never a working draft.

Run on SQLite (the substring path over live revisions) and on PostgreSQL (the stored, GIN-indexed
document): the behaviour is the same; the PostgreSQL-only tests check the stored document itself.
"""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Status
from articles.publishing import search_index
from tests.factories import make_article


def found(client, word: str) -> bool:
    """Whether a search for ``word`` lists the article at /articles/story/ (through the page cache)."""
    return 'href="/articles/story/"' in client.get("/search/", {"q": word}).content.decode()


def needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the stored document is PostgreSQL's: run with DATABASE_URL=postgres://…")


@pytest.fixture
def story(db) -> Article:
    return make_article("story", status=Status.PUBLISHED, title="Story", body="Word osprey.")


def test_a_withdrawn_article_stops_matching_on_the_next_request(client, story):
    assert found(client, "osprey")  # now also in the page cache
    publishing.article_withdraw(actor=SYSTEM, article=story)
    assert not found(client, "osprey")


def test_an_unpublished_edit_changes_nothing_searchable(client, story):
    publishing.article_update(actor=SYSTEM, article=story, title="Story", body="Word bittern.")
    assert found(client, "osprey")
    assert not found(client, "bittern")


def test_publishing_the_edit_swaps_the_words(client, story):
    publishing.article_update(actor=SYSTEM, article=story, title="Story", body="Word bittern.")
    publishing.article_publish(actor=SYSTEM, article=story)
    assert found(client, "bittern")
    assert not found(client, "osprey")


def test_a_revert_is_searchable_only_once_published(client, story):
    first = story.live_revision
    publishing.article_update(actor=SYSTEM, article=story, title="Story", body="Word bittern.")
    publishing.article_publish(actor=SYSTEM, article=story)
    publishing.article_revert(actor=SYSTEM, article=story, revision=first)
    assert found(client, "bittern") and not found(client, "osprey")
    publishing.article_publish(actor=SYSTEM, article=story)
    assert found(client, "osprey") and not found(client, "bittern")


def test_a_scheduled_article_matches_once_the_worker_published_it(client, db):
    article = make_article("story", status=Status.SCHEDULED, body="Word osprey.")
    assert not found(client, "osprey")
    later = article.publish_at + timedelta(seconds=1)
    publishing.publish_due_articles(now=later)
    assert found(client, "osprey")


def test_an_embargo_end_stops_matches_before_and_after_the_worker_withdraws(client, story):
    Article.objects.filter(pk=story.pk).update(unpublish_at=timezone.now() - timedelta(seconds=1))
    publishing.page_cache_purge(actor=SYSTEM)  # only the cached page's max-age would hide it else
    assert not found(client, "osprey")
    publishing.publish_due_articles()
    assert Article.objects.get(pk=story.pk).status == Status.WITHDRAWN
    assert not found(client, "osprey")


@pytest.mark.postgres
def test_only_a_published_article_stores_a_document(story):
    needs_postgres()
    draft = make_article("draft", body="Word ptarmigan.")
    stored = dict(Article.objects.values_list("slug", "search_vector"))
    assert "osprey" in stored["story"] and stored["draft"] is None
    publishing.article_withdraw(actor=SYSTEM, article=story)
    assert Article.objects.get(pk=story.pk).search_vector is None
    assert Article.objects.get(pk=draft.pk).search_vector is None


@pytest.mark.postgres
def test_an_unpublished_edit_leaves_the_stored_document_alone(story):
    needs_postgres()
    before = Article.objects.get(pk=story.pk).search_vector
    publishing.article_update(actor=SYSTEM, article=story, title="New", body="Word bittern.")
    assert Article.objects.get(pk=story.pk).search_vector == before


@pytest.mark.postgres
def test_the_migration_fills_the_documents_of_articles_already_published(story):
    needs_postgres()
    Article.objects.update(search_vector=None)
    migration = importlib.import_module("articles.migrations.0017_article_search_vector")
    migration.fill_vectors(apps, SimpleNamespace(connection=connection))
    assert "osprey" in Article.objects.get(pk=story.pk).search_vector


@pytest.mark.postgres
def test_search_reads_the_stored_document_not_the_revision(client, story):
    """Proof that the query uses the vector: a document emptied by hand finds nothing."""
    needs_postgres()
    Article.objects.update(search_vector=None)
    assert not found(client, "osprey")
    search_index.refresh()
    publishing.page_cache_purge(actor=SYSTEM)
    assert found(client, "osprey")
