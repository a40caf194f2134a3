"""Staff insiders: an author with a grant on one article learns nothing of the articles hidden from them.

Neither a taken slug ("already exists") nor a tag's spelling may tell them a hidden article exists.
"""

import re
import textwrap

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Tag
from articles.transfer import import_article, parse_article_file
from tests.factories import staff

pytestmark = pytest.mark.django_db

NEUTRAL = "This slug is not available; choose another."


@pytest.fixture
def insider() -> User:
    """Staff author with their own article and nothing else."""
    user = staff("ines", "Authors")
    publishing.article_create(actor=user, slug="ines-own", title="Own", tags=["Budget"])
    return user


@pytest.fixture
def hidden() -> Article:
    """Someone else's draft, tagged "zqreview-tag"."""
    return publishing.article_create(
        actor=SYSTEM, slug="zq-hidden-plan", title="Hidden plan", tags=["zqreview-tag"]
    )


def add_form(client: Client, user: User, slug: str, tags: str = ""):
    client.force_login(user)
    return client.post(
        reverse("admin:articles_article_add"),
        {"slug": slug, "title": "Mine", "body": "", "tags": tags},
    )


def errors(response) -> list[str]:
    return re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )


def test_a_hidden_slug_and_a_visible_one_get_the_same_neutral_message(
    client, insider, hidden, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        on_hidden = add_form(client, insider, "zq-hidden-plan")
        on_own = add_form(client, insider, "ines-own")
    assert on_hidden.status_code == on_own.status_code == 200
    assert errors(on_hidden) == errors(on_own)
    assert NEUTRAL in on_hidden.content.decode()
    assert "already exists" not in on_hidden.content.decode()
    assert Article.objects.count() == 2


def test_a_taken_slug_attempt_is_recorded_on_the_existing_article(
    client, insider, hidden, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_form(client, insider, "zq-hidden-plan")
    event = AuditEvent.objects.get(action=AuditEvent.Action.SLUG_REFUSED)
    assert (event.actor, event.article, event.detail) == (
        insider,
        hidden,
        {"slug": "zq-hidden-plan"},
    )


def test_the_service_refuses_a_taken_slug_in_the_same_words(
    insider, hidden, django_capture_on_commit_callbacks
):
    """Not only the admin form: every caller of ``article_create`` gets the neutral message."""
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        publishing.article_create(actor=insider, slug="zq-hidden-plan", title="Mine")
    assert refused.value.message_dict == {"slug": [NEUTRAL]}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SLUG_REFUSED).count() == 1


def test_an_invalid_add_form_answers_the_same_for_a_taken_and_a_free_slug(
    client, insider, hidden, django_capture_on_commit_callbacks
):
    """The slug is checked last: an invalid tag is the only answer, taken slug or not."""
    with django_capture_on_commit_callbacks(execute=True):
        on_hidden = add_form(client, insider, "zq-hidden-plan", tags="x" * 51)
        on_free = add_form(client, insider, "zq-nothing-here", tags="x" * 51)
    assert errors(on_hidden) == errors(on_free)
    assert NEUTRAL not in on_hidden.content.decode()
    assert "longer than 50 characters" in on_hidden.content.decode()
    assert Article.objects.count() == 2


def test_a_slug_probe_costs_a_valid_submission_and_leaves_its_event(
    client, insider, hidden, django_capture_on_commit_callbacks
):
    """Valid otherwise: the free slug is created, the taken one refused with a slug_refused event."""
    with django_capture_on_commit_callbacks(execute=True):
        on_hidden = add_form(client, insider, "zq-hidden-plan", tags="fine")
        add_form(client, insider, "zq-nothing-here", tags="fine")
    assert NEUTRAL in on_hidden.content.decode()
    assert Article.objects.filter(slug="zq-nothing-here").exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.SLUG_REFUSED).article == hidden


@pytest.mark.parametrize(
    "invalid",
    [
        {"tags": ["x" * 51]},
        {"title": "t" * 201},
        {"body": "![missing](not-attached.png)"},
    ],
    ids=["tag", "title", "file-reference"],
)
def test_the_service_reports_other_errors_before_a_taken_slug(insider, hidden, invalid):
    """No slug answer, no event and nothing stored while anything else is invalid."""
    arguments = {"title": "Mine", **invalid}
    answers = []
    for slug in ("zq-hidden-plan", "zq-nothing-here"):
        with pytest.raises(ValidationError) as refused:
            publishing.article_create(actor=insider, slug=slug, **arguments)
        answers.append(refused.value.message_dict)
    assert answers[0] == answers[1]
    assert "slug" not in answers[0]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SLUG_REFUSED).exists()
    assert Article.objects.count() == 2


def test_a_new_tag_keeps_the_spelling_its_author_typed_when_the_other_is_hidden(
    client, insider, hidden
):
    response = add_form(client, insider, "ines-second", tags="ZQReview Tag")
    assert response.status_code == 302
    mine = Article.objects.get(slug="ines-second").latest_revision
    assert [tag.name for tag in mine.tags.all()] == ["ZQReview Tag"]
    page = client.get(reverse("admin:articles_article_change", args=[mine.article_id]))
    assert "ZQReview Tag" in page.content.decode()
    assert "zqreview-tag" not in page.content.decode()
    assert [tag.name for tag in hidden.latest_revision.tags.all()] == ["zqreview-tag"]


def test_a_tag_takes_the_spelling_of_an_article_its_author_can_see(insider):
    published = publishing.article_create(
        actor=SYSTEM, slug="public-one", title="P", tags=["Security"]
    )
    publishing.article_publish(actor=SYSTEM, article=published)
    article = publishing.article_create(
        actor=insider, slug="ines-two", title="T", tags=["security"]
    )
    own = publishing.article_create(actor=insider, slug="ines-three", title="T", tags=["budget"])
    assert [tag.name for tag in article.latest_revision.tags.all()] == ["Security"]
    assert [tag.name for tag in own.latest_revision.tags.all()] == ["Budget"]


def test_two_spellings_of_a_tag_typed_in_one_revision_make_one_tag(insider):
    article = publishing.article_create(
        actor=insider, slug="ines-four", title="T", tags=["Data Centres", "data centres"]
    )
    assert [tag.name for tag in article.latest_revision.tags.all()] == ["Data Centres"]


def test_one_tag_page_lists_every_spelling_of_its_slug(client, insider, hidden):
    article = publishing.article_create(
        actor=insider, slug="ines-five", title="Five", tags=["ZQReview Tag"]
    )
    publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_publish(actor=SYSTEM, article=hidden)
    page = client.get("/tags/zqreview-tag/").content.decode()
    assert "Five" in page and "Hidden plan" in page
    index = client.get("/tags/").content.decode()
    assert index.count('href="/tags/zqreview-tag/"') == 1
    assert Tag.objects.filter(slug="zqreview-tag").count() == 2


def test_the_import_path_uses_the_same_tag_rule(tmp_path, hidden):
    """Imports run as the trusted shell, which may see every article: it joins the existing tag."""
    path = tmp_path / "imported.md"
    path.write_text(
        textwrap.dedent(
            """\
            ---
            title: Imported
            slug: imported-story
            tags: [ZQReview Tag]
            ---
            Words.
            """
        )
    )
    import_article(parse_article_file(path))
    revision = Article.objects.get(slug="imported-story").latest_revision
    assert [tag.name for tag in revision.tags.all()] == ["zqreview-tag"]
