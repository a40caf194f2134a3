"""The admin's article list at size: each row's own title, the same queries past one page, counts
that join nothing, and Django's row markup kept where the admin formats it itself."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_value
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from articles import publishing
from articles.access import SYSTEM
from articles.admin.approvals import classification_badge
from articles.models import Article, Classification
from tests.factories import staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:articles_article_changelist")
ONE_PAGE = admin.site.get_model_admin(Article).list_per_page


def make_articles(count: int) -> None:
    """``count`` articles through the services, every other one published."""
    for number in range(count):
        article = publishing.article_create(
            actor=SYSTEM, slug=f"a-{number}", title=f"Title {number}"
        )
        if number % 2:
            publishing.article_publish(actor=SYSTEM, article=article)


@pytest.fixture
def superuser():
    return staff("root", superuser=True)


def test_each_row_shows_its_own_title(client, superuser):
    make_articles(4)
    publishing.article_update(
        actor=SYSTEM, article=Article.objects.get(slug="a-1"), title="Working title 1"
    )
    client.force_login(superuser)
    rows = client.get(CHANGELIST).context["cl"].result_list
    assert {row.slug: row.shown_title for row in rows} == {
        "a-0": "Title 0",
        "a-1": "Working title 1",
        "a-2": "Title 2",
        "a-3": "Title 3",
    }


def test_a_reader_without_a_grant_sees_each_live_title(client):
    make_articles(4)
    publishing.article_update(
        actor=SYSTEM, article=Article.objects.get(slug="a-1"), title="Working title 1"
    )
    client.force_login(staff("olga", "Authors"))
    rows = client.get(CHANGELIST).context["cl"].result_list
    assert {row.slug: row.shown_title for row in rows} == {"a-1": "Title 1", "a-3": "Title 3"}


@pytest.mark.parametrize("count", [3, ONE_PAGE + 5])
@pytest.mark.parametrize("role", ["superuser", "editor"])
def test_the_list_asks_the_same_queries_past_one_page(
    client, role, count, django_assert_num_queries
):
    make_articles(count)
    user = staff("root", superuser=True) if role == "superuser" else staff("eddie", "Editors")
    client.force_login(user)
    # Session, user, the two counts and the page; the editor's role groups and permissions add two.
    with django_assert_num_queries(5 if role == "superuser" else 7):
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == min(count, ONE_PAGE)


@pytest.mark.parametrize("params", [{}, {"status__exact": "draft"}])
def test_the_counts_join_no_revision(client, superuser, params):
    """A join left in the counts (the title's revision) made them 7x slower at 10,000 articles."""
    make_articles(2)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as captured:
        client.get(CHANGELIST, params)
    counts = [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 2
    assert not any("JOIN" in sql for sql in counts)


def test_the_row_checkbox_is_djangos_markup(client, superuser):
    make_articles(1)
    client.force_login(superuser)
    article = Article.objects.get()
    djangos = forms.CheckboxInput(
        {
            "class": "action-select",
            "aria-label": format_html("Select this object for an action - {}", str(article)),
        },
        lambda value: False,
    ).render(helpers.ACTION_CHECKBOX_NAME, str(article.pk))
    assert djangos in client.get(CHANGELIST).content.decode()


def test_the_public_column_is_djangos_boolean_icon(client, superuser):
    make_articles(2)
    client.force_login(superuser)
    page = client.get(CHANGELIST).content.decode()
    for public in (True, False):
        assert display_for_value(public, "", boolean=True) in page


def test_each_classification_shows_its_own_badge(client, superuser):
    make_articles(2)
    Article.objects.filter(slug="a-1").update(classification=Classification.RESTRICTED)
    client.force_login(superuser)
    rows = client.get(CHANGELIST).context["cl"].result_list
    badges = {row.slug: classification_badge(row) for row in rows}
    assert Classification.RESTRICTED.label in badges["a-1"]
    assert Classification.STANDARD.label in badges["a-0"]


def test_the_dates_read_as_djangos_formats(client, superuser):
    make_articles(2)
    local = timezone.localtime(Article.objects.get(slug="a-1").published_at)
    client.force_login(superuser)
    page = client.get(CHANGELIST).content.decode()
    shown = f'title="{formats.localize(local)}">{formats.date_format(local, "j M Y H:i")}</time>'
    assert shown in page


def test_each_row_links_to_its_change_page(client, superuser):
    make_articles(3)
    client.force_login(superuser)
    response = client.get(CHANGELIST)
    page = response.content.decode()
    for row in response.context["cl"].result_list:
        expected = reverse("admin:articles_article_change", args=[row.pk])
        assert response.context["cl"].url_for_result(row) == expected
        assert f'href="{expected}"' in page
