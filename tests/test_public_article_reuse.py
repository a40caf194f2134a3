"""A public article's page is rendered once and its bytes reused, for readers who get the same page.

Every request still makes its own access decision first (one lookup, answered fresh); only a page
found public with the same live revision under the same page-cache generation is reused, and the
parts that differ by reader (signed in or not, offered the working draft or not) are in its key.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

URL = "/articles/open-story/"
DRAFT_NOTE = "You can see an unpublished working draft of this article"


@pytest.fixture
def story():
    return make_article("open-story", status="published", title="The live headline")


def signed_in(client, username: str, **grants):
    client.force_login(make_user(username, **grants))
    return client


def test_a_signed_in_reader_gets_the_page_again_from_the_session_user_and_lookup_alone(
    client, story, django_assert_num_queries
):
    """Session, user, the article with its grant answer: the revision, tags and image are not read."""
    reader = signed_in(client, "reader")
    first = reader.get(URL)
    with django_assert_num_queries(3):
        again = reader.get(URL)
    assert again.content == first.content
    assert b"The live headline" in again.content


def test_a_reused_page_is_still_private_for_a_signed_in_reader(client, story):
    reader = signed_in(client, "reader")
    reader.get(URL)
    response = reader.get(URL)
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert "Cookie" in response["Vary"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_withdrawn_article_is_the_404_on_the_next_request(client, story):
    reader = signed_in(client, "reader")
    reader.get(URL)
    publishing.article_withdraw(actor=SYSTEM, article=story)
    assert reader.get(URL).status_code == 404


def test_an_embargo_end_passed_is_the_404_though_nothing_was_purged(client, story):
    """Time alone ends an embargo: the reader's own lookup refuses before any page is reused."""
    reader = signed_in(client, "reader")
    reader.get(URL)
    Article.objects.filter(pk=story.pk).update(unpublish_at=timezone.now() - timedelta(seconds=1))
    assert reader.get(URL).status_code == 404


def test_a_new_live_revision_is_shown_on_the_next_request(client, story):
    reader = signed_in(client, "reader")
    reader.get(URL)
    publishing.article_update(actor=SYSTEM, article=story, title="The new headline", body="New.")
    publishing.article_publish(actor=SYSTEM, article=Article.objects.get(pk=story.pk))
    page = reader.get(URL).content
    assert b"The new headline" in page and b"The live headline" not in page


def test_the_working_draft_link_is_never_reused_for_a_reader_without_a_grant(client, story):
    publishing.article_update(actor=SYSTEM, article=story, title="Secret headline", body="Soon.")
    editor = signed_in(client, "editor", perms=("view_article",))
    assert DRAFT_NOTE in editor.get(URL).content.decode()
    reader = signed_in(client, "reader")
    page = reader.get(URL).content.decode()
    assert DRAFT_NOTE not in page and "/draft/" not in page
    # And the other way round: a page reused for readers without the link never hides it.
    assert (
        DRAFT_NOTE
        in signed_in(client, "editor-two", perms=("view_article",)).get(URL).content.decode()
    )


def test_a_revoked_editor_loses_the_working_draft_link_on_the_next_request(client, story):
    publishing.article_update(actor=SYSTEM, article=story, title="Secret headline", body="Soon.")
    editor = User.objects.create_user("former")
    publishing.access_grant(actor=SYSTEM, article=story, perm="view", user=editor)
    client.force_login(editor)
    assert DRAFT_NOTE in client.get(URL).content.decode()
    publishing.access_revoke(actor=SYSTEM, article=story, perm="view", user=editor)
    assert DRAFT_NOTE not in client.get(URL).content.decode()


def test_a_signed_in_page_is_never_reused_for_a_reader_who_is_not(client, story):
    reader = signed_in(client, "reader")
    assert b"Account" in reader.get(URL).content
    reader.logout()
    page = reader.get(URL).content
    assert b"Sign in" in page and b">Account<" not in page


def test_a_draft_is_never_kept_for_reuse(client):
    """A grant holder's view of an unpublished article is rendered, and its revision read, every time."""
    make_article("quiet-draft", title="Not yet")
    editor = signed_in(client, "editor", perms=("view_article",))
    editor.get("/articles/quiet-draft/")
    with CaptureQueriesContext(connection) as captured:
        assert b"Not yet" in editor.get("/articles/quiet-draft/").content
    assert any("body_html" in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("size", [10, 200])
def test_a_reused_page_costs_the_same_queries_however_many_articles(
    client, size, django_assert_num_queries
):
    """Session, user, the article's row (its grant answer and the generation with it): three."""
    from tests.test_discovery import bulk_publish

    bulk_publish(size)
    reader = signed_in(client, "reader")
    reader.get("/articles/bulk-0/")
    with django_assert_num_queries(3):
        assert reader.get("/articles/bulk-0/").status_code == 200


def test_with_the_generation_in_a_shared_cache_a_page_is_kept_under_the_one_before_its_lookup(
    client, story, settings, monkeypatch
):
    """A change that replaces the generation while a request renders what its lookup found leaves
    that rendering under the old generation, where no later request looks."""
    from articles import access
    from articles.web import caching, views

    settings.EMBARGO_GENERATION_IN_CACHE = True
    reader = signed_in(client, "reader")
    looked_up = access.article_view

    def a_change_commits_right_after_the_lookup(*args, **kwargs):
        view = looked_up(*args, **kwargs)
        caching.replace_cached_generation()
        return view

    monkeypatch.setattr(access, "article_view", a_change_commits_right_after_the_lookup)
    reader.get(URL)
    monkeypatch.undo()
    rendered = []
    render = views._render_article
    monkeypatch.setattr(
        views, "_render_article", lambda *a, **k: rendered.append(1) or render(*a, **k)
    )
    assert reader.get(URL).status_code == 200
    assert rendered == [1]
