"""A public asset's access answer is remembered under the page-cache generation, like a public page.

So a reader without a session downloading a public file runs no lookup after the first; every
change of what is public still ends it at once, and so does the embargo end, which no change marks.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article
from tests.factories import make_article, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def generation_in_the_database(settings):
    """As on the embedded default: the generation is one primary-key read per request."""
    settings.EMBARGO_GENERATION_IN_CACHE = False


@pytest.fixture
def public_asset():
    article = make_article("harbour-lights", status="published", files=[png_upload("chart.png")])
    return article.live_revision.assets.get()


def test_a_second_download_runs_only_the_generation_read(
    client, public_asset, django_assert_num_queries
):
    url = public_asset.get_absolute_url()
    assert client.get(url).status_code == 200
    with django_assert_num_queries(1) as captured:
        assert client.get(url).status_code == 200
    assert "pagecachegeneration" in captured.captured_queries[0]["sql"]


def test_a_withdrawal_ends_a_remembered_public_asset_at_once(client, public_asset):
    url = public_asset.get_absolute_url()
    assert client.get(url).status_code == 200
    publishing.article_withdraw(actor=SYSTEM, article=public_asset.article)
    assert client.get(url).status_code == 404


def test_the_embargo_end_ends_a_remembered_public_asset(client, public_asset, monkeypatch):
    """Time ends an embargo without any change to replace the generation: the end is read again."""
    end = timezone.now() + timedelta(hours=1)
    Article.objects.filter(pk=public_asset.article_id).update(unpublish_at=end)
    url = public_asset.get_absolute_url()
    assert client.get(url).status_code == 200
    later = end + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(url).status_code == 404


def test_a_wrong_file_name_is_refused_from_a_remembered_answer_too(client, public_asset):
    assert client.get(public_asset.get_absolute_url()).status_code == 200
    assert client.get(f"/assets/{public_asset.token}/other.png").status_code == 404
