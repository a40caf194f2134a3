"""Live revision vs working draft: edits and their assets stay private until published."""

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Revision, Status
from articles.publishing import EditConflict
from tests.factories import make_article, make_user, pdf_bytes, png_upload
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    """A published article whose live revision shows one image."""
    return make_article(
        "live-story",
        status=Status.PUBLISHED,
        title="First take",
        body="![hero](hero.png)",
        files=[png_upload("hero.png")],
    )


@pytest.fixture
def reader(live):
    """A signed-in early-access reader granted ``view`` on the live story."""
    user = make_user("early", groups=("Early access",))
    publishing.access_grant(actor=SYSTEM, article=live, perm="view", user=user)
    return user


def assert_same_as_missing(client, response) -> None:
    missing = client.get("/articles/never-existed/")
    assert response.status_code == 404
    assert_same_shape(response, missing)


def edit_with_chart(article: Article) -> Revision:
    return publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="Second take",
        body="![hero](hero.png) ![chart](chart.png)",
        files=[("chart.png", png_upload("chart.png", colour="blue"))],
    )


def test_edit_to_a_published_article_is_invisible_until_published(
    client, live, django_capture_on_commit_callbacks
):
    edit_with_chart(live)
    page = client.get("/articles/live-story/").content.decode()
    assert "First take" in page
    assert "Second take" not in page

    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_publish(actor=SYSTEM, article=live)
    page = client.get("/articles/live-story/").content.decode()
    assert "Second take" in page


def test_image_added_to_an_edit_is_private_until_published(client, live):
    revision = edit_with_chart(live)
    chart = revision.assets.get(original_name="chart.png")
    assert_same_as_missing(client, client.get(chart.get_absolute_url()))

    publishing.article_publish(actor=SYSTEM, article=live)
    response = client.get(chart.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")


def test_asset_dropped_from_the_live_revision_is_private_after_publishing(client, live, reader):
    hero = live.live_revision.assets.get()
    publishing.article_update(
        actor=SYSTEM, article=live, title="No picture", body="Words only.", keep_assets=[]
    )
    assert client.get(hero.get_absolute_url()).status_code == 200, "still live until published"

    publishing.article_publish(actor=SYSTEM, article=live)
    assert_same_as_missing(client, client.get(hero.get_absolute_url()))
    client.force_login(reader)
    response = client.get(hero.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store, max-age=0"


def test_grant_holder_sees_the_working_draft_with_a_banner(client, live, reader):
    edit_with_chart(live)
    client.force_login(reader)
    article_page = client.get("/articles/live-story/").content.decode()
    assert "First take" in article_page
    assert 'href="/articles/live-story/draft/"' in article_page

    response = client.get("/articles/live-story/draft/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Second take" in page
    assert "Not public — unpublished working draft of a live article" in page
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    chart = live.revisions.get(number=2).assets.get(original_name="chart.png")
    assert client.get(chart.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "no_grant"])
def test_working_draft_url_is_the_missing_404_for_others(client, live, who):
    edit_with_chart(live)
    if who == "no_grant":
        client.force_login(make_user("nobody"))
    assert_same_as_missing(client, client.get("/articles/live-story/draft/"))
    assert (
        'href="/articles/live-story/draft/"'
        not in client.get("/articles/live-story/").content.decode()
    )


# --- edit conflicts ----------------------------------------------------------------------------


def test_second_save_from_a_stale_form_is_refused_and_changes_nothing(
    live, django_capture_on_commit_callbacks
):
    """Two editors opened version N; the first save wins, the second is refused, nothing is lost."""
    opened_at = Article.objects.get(pk=live.pk).version
    first = Article.objects.get(pk=live.pk)
    second = Article.objects.get(pk=live.pk)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_update(
            actor=SYSTEM, article=first, title="Editor one", body="One.", expected_version=opened_at
        )
    after_first = Article.objects.get(pk=live.pk)
    counts = (Revision.objects.count(), AuditEvent.objects.count())

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EditConflict) as error:
        publishing.article_update(
            actor=SYSTEM,
            article=second,
            title="Editor two",
            body="Two.",
            expected_version=opened_at,
        )
    assert "was changed by someone else after you opened it" in error.value.messages[0]
    assert "Your text is still in the form" in error.value.messages[0]
    unchanged = Article.objects.get(pk=live.pk)
    assert (unchanged.version, unchanged.latest_revision_id) == (
        after_first.version,
        after_first.latest_revision_id,
    )
    assert unchanged.latest_revision.title == "Editor one"
    assert (Revision.objects.count(), AuditEvent.objects.count()) == counts


def test_a_refused_save_stores_no_file(live, asset_storage_in_tmp):
    """The upload that came with a conflicting save is not left behind in storage."""
    stale = Article.objects.get(pk=live.pk).version
    publishing.article_update(actor=SYSTEM, article=live, title="Newer", expected_version=stale)
    files_before = sorted(p for p in asset_storage_in_tmp.rglob("*") if p.is_file())
    with pytest.raises(EditConflict):
        publishing.article_update(
            actor=SYSTEM,
            article=live,
            title="Stale",
            files=[("card.pdf", pdf_bytes())],
            expected_version=stale,
        )
    assert sorted(p for p in asset_storage_in_tmp.rglob("*") if p.is_file()) == files_before


def test_attaching_through_a_stale_object_keeps_the_newer_edit(live):
    """A save without an expected version builds on the stored draft, not on an old copy of it."""
    stale = Article.objects.get(pk=live.pk)
    publishing.article_update(
        actor=SYSTEM, article=Article.objects.get(pk=live.pk), title="Newer", body="Newer words."
    )
    publishing.asset_attach(actor=SYSTEM, article=stale, name="card.pdf", content=pdf_bytes())
    latest = Article.objects.get(pk=live.pk).latest_revision
    assert (latest.title, latest.body) == ("Newer", "Newer words.")
    assert sorted(latest.assets.values_list("original_name", flat=True)) == ["card.pdf", "hero.png"]


# --- revert ------------------------------------------------------------------------------------


def snapshot(article: Article) -> list[dict]:
    return [
        {
            **model_to_dict(revision, exclude=["tags"]),
            "assets": sorted(a.pk for a in revision.assets.all()),
        }
        for revision in article.revisions.order_by("number")
    ]


def test_revert_creates_a_new_revision_with_the_old_content(
    live, django_capture_on_commit_callbacks
):
    first = live.latest_revision
    edit_with_chart(live)
    history = snapshot(live)
    with django_capture_on_commit_callbacks(execute=True):
        reverted = publishing.article_revert(actor=SYSTEM, article=live, revision=first)
    assert reverted.number == 3
    assert (reverted.title, reverted.body, reverted.body_html) == (
        first.title,
        first.body,
        first.body_html,
    )
    assert list(reverted.assets.all()) == list(first.assets.all())
    assert snapshot(live)[:2] == history, "old revisions are never rewritten"
    live.refresh_from_db()
    assert live.latest_revision == reverted
    assert live.live_revision == first, "revert changes the working draft, not what is live"
    event = AuditEvent.objects.get(article=live, action="revert")
    assert event.detail == {"from_revision": 1, "revision": 3}


def test_revert_refuses_a_revision_of_another_article(live):
    other = make_article("other")
    with pytest.raises(ValidationError, match="belongs to another article"):
        publishing.article_revert(actor=SYSTEM, article=live, revision=other.latest_revision)
    assert live.revisions.count() == 1


def test_revert_from_a_stale_form_is_refused(live):
    opened_at = Article.objects.get(pk=live.pk).version
    edit_with_chart(live)
    with pytest.raises(EditConflict):
        publishing.article_revert(
            actor=SYSTEM, article=live, revision=live.live_revision, expected_version=opened_at
        )
    assert live.revisions.count() == 2


def test_an_over_long_tag_is_refused_with_a_message_not_a_crash():
    long_tag = "x" * 51
    with pytest.raises(ValidationError, match="longer than 50 characters"):
        make_article("tagged", tags=[long_tag])
    assert not Article.objects.filter(slug="tagged").exists()


def test_publish_is_offered_again_only_once_there_is_an_unpublished_edit():
    article = make_article("steady", status=Status.PUBLISHED)
    assert "publish" not in publishing.allowed_actions(actor=SYSTEM, article=article)
    with pytest.raises(ValidationError, match="nothing new to publish"):
        publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_update(actor=SYSTEM, article=article, title="Corrected")
    article.refresh_from_db()
    assert "publish" in publishing.allowed_actions(actor=SYSTEM, article=article)
    publishing.article_publish(actor=SYSTEM, article=article)
    assert Article.objects.get(pk=article.pk).live_revision.title == "Corrected"
