"""The featured image: chosen per revision, public only with the live revision that carries it."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Status
from tests.factories import make_article, pdf_bytes
from tests.test_renditions import image_upload

BASE = "/articles/featured/"


def upload(name: str, width: int = 1000):
    """An image upload as ``make_article`` takes it: a file that knows its name."""
    image = image_upload(width, 500)
    image.name = name
    return image


def og_image(text: str) -> list[str]:
    return re.findall(r'<meta property="og:image" content="([^"]*)">', text)


def json_ld(text: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)[1]
    )


@pytest.fixture
def featured(db) -> Article:
    """Published with ``cover.png`` featured; then a draft that features a new, private image."""
    article = make_article(
        "featured",
        status=Status.PUBLISHED,
        files=(upload("other.png"), upload("cover.png")),
        featured_image_name="cover.png",
    )
    publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="Next edit",
        files=[("secret-cover.png", upload("secret-cover.png"))],
        keep_assets=article.latest_revision.assets.all(),
        featured_image=None,
    )
    article.refresh_from_db()
    latest = article.latest_revision
    publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="Next edit",
        keep_assets=latest.assets.all(),
        featured_image=latest.assets.get(original_name="secret-cover.png"),
    )
    article.refresh_from_db()
    return article


def test_readers_see_the_live_revisions_choice(client, featured):
    cover = Asset.objects.get(original_name="cover.png")
    secret = Asset.objects.get(original_name="secret-cover.png")
    assert featured.live_revision.featured_image == cover
    assert featured.latest_revision.featured_image == secret
    for url in (BASE, "/"):
        text = client.get(url).content.decode()
        assert f"/assets/{cover.token}/" in text
        assert secret.token not in text


def test_og_image_and_json_ld_name_the_featured_image(client, featured):
    cover = Asset.objects.get(original_name="cover.png")
    text = client.get(BASE).content.decode()
    expected = f"http://testserver/assets/{cover.token}/cover.png"
    assert [url.split("/assets/")[1] for url in og_image(text)] == [f"{cover.token}/cover.png"]
    assert json_ld(text)["image"][0].endswith(expected.split("testserver")[1])


def test_the_header_and_card_pictures_have_intrinsic_size(client, featured):
    text = client.get(BASE).content.decode()
    header = re.search(r'<figure class="article__image">(.*?)</figure>', text, re.S)[1]
    assert 'width="1000" height="500"' in header and "srcset=" in header
    card = client.get("/").content.decode()
    assert 'class="article-card__image"' in card and 'loading="lazy"' in card


def test_a_grant_holder_sees_the_drafts_choice_on_the_draft(client, featured):
    user = User.objects.create_user("early")
    publishing.access_grant(actor=SYSTEM, article=featured, perm="view", user=user)
    client.force_login(user)
    secret = Asset.objects.get(original_name="secret-cover.png")
    text = client.get(f"{BASE}draft/").content.decode()
    assert f"/assets/{secret.token}/" in text
    assert client.get(secret.renditions.first().get_absolute_url()).status_code == 200


def test_publishing_the_draft_makes_its_choice_public(client, featured):
    secret = Asset.objects.get(original_name="secret-cover.png")
    assert client.get(secret.get_absolute_url()).status_code == 404
    publishing.article_publish(actor=SYSTEM, article=featured)
    text = client.get(BASE).content.decode()
    assert og_image(text)[0].endswith(f"/assets/{secret.token}/secret-cover.png")
    assert client.get(secret.renditions.first().get_absolute_url()).status_code == 200


def test_a_withdrawn_articles_featured_image_is_gone_from_the_home_page(client, featured):
    cover = Asset.objects.get(original_name="cover.png")
    publishing.article_withdraw(actor=SYSTEM, article=featured)
    assert cover.token not in client.get("/").content.decode()
    assert client.get(cover.renditions.first().get_absolute_url()).status_code == 404


def test_the_featured_image_must_be_an_image_of_the_draft(db):
    article = make_article(
        "choosy", files=(upload("cover.png"), pdf_bytes()), featured_image_name=None
    )
    other = make_article("elsewhere", files=(upload("foreign.png"),))
    latest = article.latest_revision
    for wrong in (Asset.objects.get(original_name="card.pdf"), other.assets.get()):
        with pytest.raises(ValidationError) as raised:
            publishing.article_update(
                actor=SYSTEM,
                article=article,
                title="T",
                keep_assets=latest.assets.all(),
                featured_image=wrong,
            )
        assert "featured_image" in raised.value.error_dict


def test_dropping_the_featured_file_drops_the_carried_choice(db):
    article = make_article(
        "dropper", files=(upload("cover.png"), upload("b.png")), featured_image_name="cover.png"
    )
    revision = publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="T",
        keep_assets=article.latest_revision.assets.filter(original_name="b.png"),
    )
    assert revision.featured_image is None


def test_a_share_preview_shows_tags_unlinked_and_pictures_through_its_door(client, db):
    article = make_article(
        "previewed", files=(upload("cover.png"),), featured_image_name="cover.png", tags=["Mythos"]
    )
    editor = User.objects.create_superuser("boss")
    _, token = publishing.preview_link_issue(actor=editor, article=article, label="Legal")
    text = client.get(f"/preview/{token}/").content.decode()
    assert '<span class="tag">Mythos</span>' in text and 'href="/tags/mythos/' not in text
    header = re.search(r'<figure class="article__image">(.*?)</figure>', text, re.S)[1]
    urls = re.findall(r'(?:src|srcset)="([^"]*)"', header)
    assert urls and all(u.startswith(f"/preview/{token}/assets/") for u in urls)
