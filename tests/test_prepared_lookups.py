"""Access lookups compiled once per process (``articles.access.prepared``) ask what the ORM asks.

Each request binds its own slug or token, person and time into SQL compiled for a stand-in of the
same shape; these tests hold the bound SQL and parameters to the ORM's own for real people of every
shape, and the rows to the ORM's rows.
"""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import connection
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM, prepared, resolve
from articles.models import Article
from tests.factories import make_article, make_user, png_upload

pytestmark = pytest.mark.django_db

LOOKUPS = [resolve._visible_article_lookup, resolve._visible_asset_lookup, resolve._asset_row]


@pytest.fixture
def people():
    draft = make_article("quiet-draft", files=[png_upload("chart.png")])
    make_article("open-story", status="published", files=[png_upload("open.png")])
    granted = make_user("granted")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=granted)
    in_group = make_user("in-group")
    group = Group.objects.create(name="desk")
    in_group.groups.add(group)
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", group=group)
    return {
        "anonymous": AnonymousUser(),
        "no grant": make_user("no-grant"),
        "granted": granted,
        "granted through a group": in_group,
        "global view": make_user("global", perms=("view_article",)),
        "superuser": User.objects.create_superuser("root"),
        "deactivated": User.objects.create_user("gone", is_active=False),
    }


def _texts() -> list[str]:
    assets = [asset.token for article in Article.objects.all() for asset in article.assets.all()]
    return ["quiet-draft", "open-story", "never-existed", *assets, "A" * 32]


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda lookup: lookup.__name__)
def test_the_bound_sql_is_the_orms_for_every_person(people, lookup):
    now = timezone.now()
    for who, person in people.items():
        orm = lookup(person, "quiet-draft", now)[:1]  # ordered as the model's Meta says, as first()
        orm_sql, orm_params = orm.query.get_compiler(using=orm.db).as_sql()
        compiled = prepared._compile(lookup, resolve.rules.grant_shape(person))
        values = {
            "text": "quiet-draft",
            "user_id": person.pk,
            "now": connection.ops.adapt_datetimefield_value(now)
            if compiled.now_is_adapted
            else now,
        }
        assert compiled.sql == orm_sql, who
        assert compiled.params(values) == tuple(orm_params), who


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda lookup: lookup.__name__)
def test_a_prepared_lookup_finds_what_the_orm_finds(people, lookup):
    now = timezone.now()
    for who, person in people.items():
        for text in _texts():
            found = prepared.first(lookup, person, text, now)
            expected = lookup(person, text, now).first()
            assert (found and found.pk) == (expected and expected.pk), (who, text)
            if expected is not None:
                assert found.is_public == expected.is_public, (who, text)
                assert found.is_granted == expected.is_granted, (who, text)


def test_the_article_row_comes_with_its_byline_and_state(people):
    article = prepared.first(
        resolve._visible_article_lookup, people["granted"], "quiet-draft", timezone.now()
    )
    assert (article.slug, article.status, article.is_public, article.is_granted) == (
        "quiet-draft",
        "draft",
        False,
        True,
    )
    assert article.author_name == Article.objects.get(slug="quiet-draft").author_name


# Each takes every value a request binds, and makes one mistake.
def _by_username(user, text, now):
    return Article.objects.filter(
        slug=text, author=user, author__username=user.username, published_at__lt=now
    )


def _without_time(user, text, now):
    return Article.objects.filter(slug=text, author=user)


def test_sql_that_names_a_person_other_than_by_id_refuses_to_prepare(people):
    with pytest.raises(RuntimeError, match="by username"):
        prepared.first(_by_username, people["no grant"], "open-story", timezone.now())


def test_sql_that_does_not_take_the_time_refuses_to_prepare(people):
    with pytest.raises(RuntimeError, match=r"\['now'\]"):
        prepared.first(_without_time, people["no grant"], "open-story", timezone.now())


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL plans a statement once per connection: run with DATABASE_URL=postgres://…",
)
def test_on_postgresql_an_access_lookup_is_planned_once_per_connection_and_the_rest_are_not():
    """Planning the lookup cost PostgreSQL several times running it, on every request."""
    make_article("open-story", status="published")
    reader = make_user("reader")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    for _ in range(3):
        resolve.article_view(reader, "open-story")
    assert resolve.article_view(reader, "open-story").article.slug == "open-story"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared_statements = [row[0] for row in cursor.fetchall()]
    assert len(prepared_statements) == 1
    assert '"articles_article"."slug" = $1' in prepared_statements[0]
    # Every other statement is bound on the client and left unprepared, as Django sends it.
    Article.objects.filter(slug="open-story").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 1
