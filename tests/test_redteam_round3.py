"""Red-team round 3: the eight merged features (editor, admin rework, marks, classification,
exposure, search/cache/sitemap, API), reviewed as an outsider, a signed-in user without rights,
a staff member with rights on another article, and a former collaborator.

A test marked ``xfail(strict=True)`` documents a finding that is still open.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Classification, MarkedCopy
from articles.publishing import approvals, classification
from articles.publishing.drafts import article_delete_draft
from articles.storage import asset_storage
from tests.factories import make_article, make_user, png_upload, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

MISSING_PK = 987654


# --- drafts deletion and marked copies -----------------------------------------------------------


def test_deleting_a_restricted_draft_deletes_its_readers_marked_copies_from_storage(
    client, django_capture_on_commit_callbacks
):
    """A deleted draft goes "with its files": the copies marked for its granted readers are its
    files too (the whole image or PDF, with a line on it), and must not stay in storage."""
    article = make_article(
        "quiet-merger", body="![chart](chart.png)", files=[png_upload("chart.png")]
    )
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
    Article.objects.filter(pk=article.pk).update(classification=Classification.RESTRICTED)
    chart = article.latest_revision.assets.get()
    client.force_login(reader)
    assert client.get(f"/assets/{chart.token}/{chart.download_name}").status_code == 200
    (copy,) = MarkedCopy.objects.filter(asset=chart)
    name = copy.file.name
    assert asset_storage().exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        article_delete_draft(actor=SYSTEM, article=Article.objects.get(pk=article.pk))

    assert not asset_storage().exists(name)


# --- two-person publish --------------------------------------------------------------------------


def test_an_approval_stops_counting_once_its_approver_may_no_longer_publish():
    """The second person's consent is a publisher's: once the approver is no longer a publisher of
    the article (role taken away), their approval must not let the other publisher publish alone."""
    ada = make_user("ada", groups=("Publishers",))
    bob = make_user("bob", groups=("Publishers",))
    article = make_article("merger-plan", body="Embargoed words.")
    classification.article_classify(actor=ada, article=article, classification="restricted")
    request = approvals.approval_request_publication(actor=ada, article=article)
    approvals.approval_give(actor=bob, approval=request)
    bob.groups.remove(Group.objects.get(name="Publishers"))

    with pytest.raises(ValidationError):
        publishing.article_publish(actor=ada, article=Article.objects.get(pk=article.pk))
    assert not Article.objects.get(pk=article.pk).live_revision_id


# --- admin doors: a hidden article is a missing one ---------------------------------------------


@pytest.fixture
def hidden() -> Article:
    return make_article("hidden-plan", title="Hidden plan", body="Secret body.")


@pytest.fixture
def other_author(client):
    """A staff author with rights on their own article only."""
    user = staff("olga", "Authors")
    mine = make_article("olgas-own", body="Mine.")
    for perm in ("view", "change", "share"):
        publishing.access_grant(actor=SYSTEM, article=mine, perm=perm, user=user)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "route",
    ["classify", "approval_request", "editor_preview", "editor_autosave", "editor_discard"],
)
def test_post_only_article_doors_answer_a_hidden_article_as_a_missing_one(
    other_author, hidden, route
):
    url = lambda pk: reverse(f"admin:articles_article_{route}", args=[pk])  # noqa: E731
    found = other_author.post(url(hidden.pk), {"classification": "standard", "body": "x"})
    missing = other_author.post(url(MISSING_PK), {"classification": "standard", "body": "x"})
    assert found.status_code == 404
    assert_same_shape(found, missing)


def test_a_former_collaborators_editor_recovery_is_a_missing_articles(client, hidden):
    former = staff("fred", "Authors")
    for perm in ("view", "change"):
        publishing.access_grant(actor=SYSTEM, article=hidden, perm=perm, user=former)
    client.force_login(former)
    url = lambda pk: reverse("admin:articles_article_editor_autosave", args=[pk])  # noqa: E731
    assert client.post(url(hidden.pk), {"body": "my notes"}).status_code == 200
    for perm in ("view", "change"):
        publishing.access_revoke(actor=SYSTEM, article=hidden, perm=perm, user=former)
    recover = lambda pk: reverse("admin:articles_article_editor_recover", args=[pk])  # noqa: E731
    found = client.get(recover(hidden.pk))
    missing = client.get(recover(MISSING_PK))
    assert found.status_code == 404
    assert_same_shape(found, missing)


# --- share pages: a reader without share learns nothing of the article's links -----------------


@pytest.mark.parametrize("route", ["share_revoke", "share_update"])
def test_a_reader_without_share_cannot_tell_which_share_links_exist(client, hidden, route):
    """A collaborator who may read but not share an article (the share page is closed to them, as
    the links name their recipients) must not learn which link ids exist: 403 vs 404 told them."""
    sharer = make_user("sam")
    for perm in ("view", "share"):
        publishing.access_grant(actor=SYSTEM, article=hidden, perm=perm, user=sharer)
    link, _token = publishing.preview_link_issue(actor=sharer, article=hidden, label="Counsel")
    reader = staff("rita", "Authors")
    publishing.access_grant(actor=SYSTEM, article=hidden, perm="view", user=reader)
    client.force_login(reader)
    url = lambda pk: reverse(f"admin:articles_article_{route}", args=[hidden.pk, pk])  # noqa: E731
    found = client.post(url(link.pk))
    missing = client.post(url(MISSING_PK))
    assert_same_shape(found, missing)
