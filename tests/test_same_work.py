"""The work a door does must not depend on whether a hidden object exists (timing oracles).

Measured as the SQL each request runs, which is deterministic where a clock is not: a hidden slug or
asset token runs the same queries as one that never existed, and a public article with an
unpublished edit the same queries as one without. Latency ratios are in ``bench/oracle_timing.py``.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import publishing
from articles.access import SYSTEM
from tests.factories import make_article, make_user, png_upload
from tests.response_shape import ForgedSessionClient

pytestmark = pytest.mark.django_db

MISSING_SLUG = "never-existed"
MISSING_TOKEN = "A" * 32
PEOPLE = ["anonymous", "forged_session", "no_grant", "revoked"]


@pytest.fixture
def hidden():
    """A draft with an image, once shared with (and then taken from) ``former``."""
    article = make_article("quiet-harbour", files=[png_upload("chart.png")])
    former = make_user("former")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=former)
    publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=former)
    return article


def client_for(client, person: str):
    if person == "forged_session":
        return ForgedSessionClient()
    if person == "no_grant":
        client.force_login(make_user("outsider"))
    elif person == "revoked":
        client.force_login(User.objects.get(username="former"))
    return client


# "Now" as SQL shows it, interpolated on the client, or as the parameter of a statement prepared on
# PostgreSQL (``access.prepared``), which Django logs with its parameters beside it.
TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T][\d:.]+(?:[+-]\d{2}:?\d{2})?"
    r"|datetime\.datetime\([\d, ]+tzinfo=datetime\.timezone\.utc\)"
)


def queries_for(client, url: str, *, masks: tuple[str, ...]) -> list[str]:
    """The SQL a GET of ``url`` runs, with the slug or token asked for and the time masked."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    sql = [TIMESTAMP.sub("…", query["sql"]) for query in captured.captured_queries]
    for mask in masks:
        sql = [statement.replace(mask, "…") for statement in sql]
    return sql


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("door", ["/articles/{slug}/", "/articles/{slug}/draft/"])
def test_a_hidden_slug_runs_the_queries_of_a_missing_one(client, hidden, person, door):
    client = client_for(client, person)
    masks = (hidden.slug, MISSING_SLUG)
    probe = queries_for(client, door.format(slug=hidden.slug), masks=masks)
    control = queries_for(client, door.format(slug=MISSING_SLUG), masks=masks)
    assert probe == control
    # The lookup itself answers "may this person see it?": one query beyond the session's.
    assert len([q for q in probe if "articles_article" in q]) == 1


@pytest.mark.parametrize("person", PEOPLE)
def test_a_hidden_asset_runs_the_queries_of_a_missing_one(client, hidden, person):
    client = client_for(client, person)
    asset = hidden.latest_revision.assets.get()
    masks = (asset.token, MISSING_TOKEN)
    probe = queries_for(client, f"/assets/{asset.token}/chart.png", masks=masks)
    control = queries_for(client, f"/assets/{MISSING_TOKEN}/chart.png", masks=masks)
    assert probe == control
    assert len([q for q in probe if "articles_asset" in q]) == 1


@pytest.mark.parametrize("person", PEOPLE)
def test_an_unpublished_edit_costs_a_reader_no_extra_query(client, hidden, person):
    """A public article with an unpublished edit runs the queries of one without."""
    edited = make_article("edited", status="published", title="Same title")
    publishing.article_update(actor=SYSTEM, article=edited, title="Same title", body="New words.")
    plain = make_article("plain-one", status="published", title="Same title")
    client = client_for(client, person)
    probe = queries_for(client, f"/articles/{edited.slug}/", masks=())
    control = queries_for(client, f"/articles/{plain.slug}/", masks=())
    assert len(probe) == len(control)


def _revision_reads(sql: list[str]) -> list[str]:
    return [q for q in sql if "body_html" in q]


@pytest.mark.parametrize("person", PEOPLE)
def test_refusing_a_hidden_draft_reads_none_of_its_words(client, hidden, person):
    """The access decision reads a narrow row: no query before the 404 selects body or body_html."""
    client = client_for(client, person)
    sql = queries_for(client, f"/articles/{hidden.slug}/", masks=())
    decision = [q for q in sql if "articles_article" in q]
    assert decision and not any("body" in q for q in decision)
    assert _revision_reads(sql) == []


def test_a_grant_holder_reads_only_the_revision_shown(client):
    """Granted, the page reads its one revision in a second query, not both live and working draft."""
    article = make_article("two-versions", status="published", body="Live words.")
    publishing.article_update(actor=SYSTEM, article=article, title="Edited", body="Draft words.")
    article.refresh_from_db()
    client.force_login(make_user("editor-one", perms=["view_article"]))
    sql = queries_for(client, f"/articles/{article.slug}/", masks=())
    # One column of one revision: a join fetching the working draft as well would read it twice.
    assert sum(q.count("body_html") for q in _revision_reads(sql)) == 1


@pytest.mark.parametrize("person", PEOPLE)
def test_denials_render_the_404_page_once_for_hidden_and_missing_alike(client, hidden, person):
    """The 404's bytes are everyone's: rendered once per process, then the same work every time."""
    from django.test.signals import template_rendered

    from articles.web.errors import forget_rendered_pages

    client = client_for(client, person)
    rendered = []

    def count(sender, template, **kwargs):
        rendered.append(template.name)

    forget_rendered_pages()
    template_rendered.connect(count)
    try:
        bodies = {
            client.get(f"/articles/{slug}/").content
            for slug in (hidden.slug, MISSING_SLUG, hidden.slug, MISSING_SLUG)
        }
    finally:
        template_rendered.disconnect(count)
    assert rendered.count("404.html") == 1
    assert len(bodies) == 1
