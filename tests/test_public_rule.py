"""The public rule is stated once (``access.rules``); every place that needs it asks it.

Each test holds one place to the queryset's answer at the edge where a restatement drifts first:
an embargo end equal to the moment asked about (the rule: no longer public).
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles import access, publishing
from articles.access import SYSTEM
from articles.models import Article, Status
from tests.factories import make_article

pytestmark = pytest.mark.django_db

MICROSECOND = timedelta(microseconds=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=500_000)


@pytest.fixture
def every_state(now):
    """One article per state, and published ones with embargo ends around ``now``."""
    articles = [make_article(status.value.replace("_", "-"), status=status) for status in Status]
    for name, unpublish_at in (
        ("ends-later", now + MICROSECOND),
        ("ends-now", now),
        ("ended", now - MICROSECOND),
    ):
        article = make_article(name, status=Status.PUBLISHED)
        Article.objects.filter(pk=article.pk).update(unpublish_at=unpublish_at)
        article.refresh_from_db()
        articles.append(article)
    return articles


def test_the_rule_for_an_article_in_hand_is_the_querysets(every_state, now):
    """``is_public``/``embargo_ended`` (no query) give the SQL rule's answer for every state."""
    for article in every_state:
        in_sql = Article.objects.published(now=now).filter(pk=article.pk).exists()
        assert access.is_public(article, now) == in_sql, article.slug
        open_in_sql = Article.objects.filter(access.embargo_open_q(now=now), pk=article.pk).exists()
        assert access.embargo_ended(article, now) == (not open_in_sql), article.slug


@pytest.mark.parametrize("offset, refused", [(timedelta(0), True), (-MICROSECOND, False)])
def test_a_share_link_ends_when_the_queryset_says_the_embargo_ended(
    now, monkeypatch, offset, refused
):
    """``preview_view`` refuses a published article's link exactly at the embargo end, not after."""
    article = make_article("shared", status=Status.PUBLISHED)
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=article, label="Legal")
    Article.objects.filter(pk=article.pk).update(unpublish_at=now)
    link.article.refresh_from_db()
    monkeypatch.setattr(timezone, "now", lambda: now + offset)
    assert Article.objects.published().filter(pk=article.pk).exists() is not refused
    if refused:
        with pytest.raises(type(access.deny())):
            access.preview_view(link)
    else:
        assert access.preview_view(link).revision == link.revision


@pytest.mark.parametrize(
    "offset, exported_status", [(timedelta(0), "withdrawn"), (-MICROSECOND, "published")]
)
def test_export_says_what_the_rule_says_of_an_embargo_end(
    tmp_path, now, monkeypatch, offset, exported_status
):
    """A published article at its embargo end (the worker not yet run) is exported as withdrawn."""
    article = make_article("ending", status=Status.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(unpublish_at=now)
    monkeypatch.setattr(timezone, "now", lambda: now + offset)
    call_command("export_articles", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    assert f"status: {exported_status}\n" in (tmp_path / "ending.md").read_text()


@pytest.mark.parametrize("offset, published", [(timedelta(0), False), (-MICROSECOND, True)])
def test_a_schedule_is_due_only_while_the_rule_would_make_it_public(offset, published):
    """``publish_due_articles`` skips a window whose embargo end is the moment it runs at."""
    article = make_article("window")
    publish_at = timezone.now() + timedelta(hours=1)
    unpublish_at = publish_at + timedelta(hours=1)
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=publish_at, unpublish_at=unpublish_at
    )
    due, _withdrawn = publishing.publish_due_articles(now=unpublish_at + offset)
    assert [a.slug for a in due] == (["window"] if published else [])


@pytest.mark.parametrize("offset, withdrawn", [(timedelta(0), True), (-MICROSECOND, False)])
def test_the_due_run_withdraws_exactly_when_the_rule_ends_public(now, offset, withdrawn):
    """``publish_due_articles`` withdraws a published article once the rule says it is not public."""
    article = make_article("expiring", status=Status.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(unpublish_at=now)
    _due, ended = publishing.publish_due_articles(now=now + offset)
    assert [a.slug for a in ended] == (["expiring"] if withdrawn else [])
    assert (
        Article.objects.published(now=now + offset).filter(pk=article.pk).exists() is not withdrawn
    )
