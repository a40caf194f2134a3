"""The leak matrix's vocabulary, shared by every module of leak tests: the article states, the
people who ask (``tests/conftest.py``'s ``people``), an article in any state, and the comparison
with an object that never existed."""

from datetime import timedelta

from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article
from tests.factories import png_upload
from tests.response_shape import FORGED_SESSION, ForgedSessionClient, assert_same_shape

STATES = ["draft", "in_review", "scheduled", "published", "withdrawn", "embargo_ended"]
PEOPLE = [
    "anonymous",
    "forged_session",
    "no_grant",
    "early_access",
    "revoked",
    "author",
    "editor",
    "superuser",
]
SEES_UNPUBLISHED = {"early_access", "author", "editor", "superuser"}
SECRET_TITLE = "Quiet Harbour Protocol"


def make_article(state: str, people, roles, *, slug: str = "quiet-harbour", upload=None) -> Article:
    """An article in ``state`` with one PNG in its latest revision, shared with early access."""
    article = publishing.article_create(
        actor=people["author"],
        slug=slug,
        title=SECRET_TITLE,
        summary="Summary of the harbour protocol.",
        body="The harbour protocol body. ![Chart](chart.png)",
        files=[("chart.png", upload or png_upload("chart.png", size=(8, 8)))],
    )
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=roles["Early access"])
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=people["revoked"])
    publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=people["revoked"])
    now = timezone.now()
    if state == "in_review":
        publishing.article_submit(actor=SYSTEM, article=article)
    elif state == "scheduled":
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=now + timedelta(hours=1)
        )
    elif state in ("published", "withdrawn", "embargo_ended"):
        publishing.article_publish(actor=SYSTEM, article=article)
    if state == "withdrawn":
        publishing.article_withdraw(actor=SYSTEM, article=article)
    if state == "embargo_ended":
        Article.objects.filter(pk=article.pk).update(unpublish_at=now - timedelta(seconds=1))
    article.refresh_from_db()
    return article


def client_for(client, person):
    """``client`` signed in as ``person``; a client with a forged session cookie for FORGED_SESSION."""
    if person == FORGED_SESSION:
        return ForgedSessionClient()
    if person is not None:
        client.force_login(person)
    return client


def assert_same_as_missing(response, reference) -> None:
    """The 404 of a missing object: body, headers in order, and cookies set or deleted."""
    assert response.status_code == reference.status_code == 404
    assert_same_shape(response, reference)


def expected_visible(state: str, person: str, route: str) -> bool:
    if person in SEES_UNPUBLISHED:
        return True
    # The working-draft door is for grant holders only, even on a published article.
    return state == "published" and route != "article_draft"
