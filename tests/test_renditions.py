"""Renditions: made at upload, never upscaled, and exactly as visible as their original image."""

import io
import re

import pytest
from PIL import Image

from articles import publishing, renditions
from articles.access import SYSTEM
from articles.models import Rendition
from articles.publishing import revisions
from articles.storage import private_assets
from tests.leak_matrix import (
    PEOPLE,
    STATES,
    assert_same_as_missing,
    client_for,
    expected_visible,
    make_article,
)
from tests.response_shape import body_of

MISSING = "A" * 32


def image_upload(width: int = 1000, height: int = 600, fmt: str = "PNG") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format=fmt)
    buffer.size = buffer.tell()
    buffer.seek(0)
    return buffer


def test_renditions_are_never_upscaled():
    assert renditions.plan(1000, "png") == [(480, "webp"), (480, "png"), (960, "webp"),
                                            (960, "png"), (1000, "webp")]  # fmt: skip
    assert renditions.plan(300, "jpg") == [(300, "webp")]
    assert renditions.plan(2000, "webp")[-2:] == [(1600, "webp"), (2000, "webp")]


def test_an_image_upload_gets_webp_and_original_format_copies(people, roles):
    article = make_article("draft", people, roles, upload=image_upload(1000, 600))
    asset = article.assets.get()
    found = {(r.width, r.height, r.format, r.content_type) for r in asset.renditions.all()}
    assert found == {
        (480, 288, "webp", "image/webp"),
        (480, 288, "png", "image/png"),
        (960, 576, "webp", "image/webp"),
        (960, 576, "png", "image/png"),
        (1000, 600, "webp", "image/webp"),
    }
    for rendition in asset.renditions.all():
        with rendition.file.open("rb") as handle, Image.open(handle) as image:
            assert image.size == (rendition.width, rendition.height)
        # Stored under a random key, like the asset: the uploaded name never reaches storage.
        assert "chart" not in rendition.file.name


def test_the_body_uses_srcset_sizes_and_intrinsic_size(people, roles):
    article = make_article("published", people, roles, upload=image_upload(1000, 600))
    asset = article.assets.get()
    html = article.live_revision.body_html
    assert "<picture><source " in html and 'type="image/webp"' in html
    assert f"/assets/{asset.token}/480w.webp/chart.png 480w" in html
    assert f"/assets/{asset.token}/480w.png/chart.png 480w" in html
    assert f"/assets/{asset.token}/chart.png 1000w" in html
    for attribute in (
        'width="1000"',
        'height="600"',
        'loading="lazy"',
        'decoding="async"',
        "sizes=",
    ):
        assert attribute in html


def rendition_urls(asset, token: str | None = None) -> list[str]:
    return [
        f"/assets/{token or asset.token}/{r.variant}/{asset.download_name}"
        for r in asset.renditions.all()
    ]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("person", PEOPLE)
def test_every_rendition_url_walks_the_leak_matrix(client, people, roles, state, person):
    article = make_article(state, people, roles, upload=image_upload(1000, 600))
    asset = article.assets.get()
    client = client_for(client, people[person])
    urls = rendition_urls(asset)
    assert len(urls) == 5
    for url, missing in zip(urls, rendition_urls(asset, MISSING), strict=True):
        response = client.get(url)
        if not expected_visible(state, person, "asset_get"):
            assert_same_as_missing(response, client.get(missing))
            continue
        assert response.status_code == 200
        rendition = Rendition.objects.get(asset=asset, width=int(url.split("/")[3].split("w")[0]),
                                          format=url.split(".")[-2].split("/")[0])  # fmt: skip
        assert response["Content-Type"] == rendition.content_type
        assert body_of(response) == rendition.file.open("rb").read()
        # A forged session cookie is deleted by the response, and a response that sets a cookie
        # is never public.
        if state == "published" and person == "anonymous":
            assert "public" in response["Cache-Control"]
        else:
            assert response["Cache-Control"] == "private, no-store, max-age=0"
            assert "ETag" not in response


def test_an_unknown_variant_of_a_hidden_image_is_the_missing_404(client, people, roles):
    asset = make_article("draft", people, roles, upload=image_upload()).assets.get()
    for variant in ("480w.webp", "481w.webp", "junk"):
        assert_same_as_missing(
            client.get(f"/assets/{asset.token}/{variant}/chart.png"),
            client.get(f"/assets/{MISSING}/{variant}/chart.png"),
        )


def test_an_unknown_variant_of_a_public_image_is_a_404(client, people, roles):
    asset = make_article("published", people, roles, upload=image_upload()).assets.get()
    assert client.get(f"/assets/{asset.token}/480w.webp/chart.png").status_code == 200
    assert client.get(f"/assets/{asset.token}/480w.webp/other.png").status_code == 404
    assert client.get(f"/assets/{asset.token}/1600w.webp/chart.png").status_code == 404


def test_a_withdrawn_articles_renditions_are_404_on_the_next_request(client, people, roles):
    article = make_article("published", people, roles, upload=image_upload())
    urls = rendition_urls(article.assets.get())
    assert all(client.get(url).status_code == 200 for url in urls)
    publishing.article_withdraw(actor=SYSTEM, article=article)
    assert all(client.get(url).status_code == 404 for url in urls)


def test_a_share_link_reaches_the_renditions_of_its_revision_only(client, people, roles):
    article = make_article("draft", people, roles, upload=image_upload())
    other = make_article("draft", people, roles, slug="other-harbour", upload=image_upload(900))
    _, token = publishing.preview_link_issue(actor=people["author"], article=article, label="Legal")
    page = body_of(client.get(f"/preview/{token}/")).decode()
    asset = article.assets.get()
    srcsets = re.findall(r'srcset="([^"]*)"', page)
    assert srcsets and all(f"/preview/{token}/assets/" in value for value in srcsets)
    assert f" /assets/{asset.token}" not in page and f'"/assets/{asset.token}' not in page
    for rendition in asset.renditions.all():
        url = f"/preview/{token}/assets/{asset.token}/{rendition.variant}/chart.png"
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store, max-age=0"
    foreign = other.assets.get().renditions.first()
    assert_same_as_missing(
        client.get(f"/preview/{token}/assets/{foreign.asset.token}/{foreign.variant}/chart.png"),
        client.get(f"/preview/{token}/assets/{MISSING}/{foreign.variant}/chart.png"),
    )


def test_a_failed_upload_leaves_no_rendition_files(people, roles, monkeypatch):
    article = make_article("draft", people, roles)
    before = set(private_assets.listdir("")[1]) | {
        f"{d}/{f}" for d in private_assets.listdir("")[0] for f in private_assets.listdir(d)[1]
    }

    def fail(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(revisions, "audit_record", fail)
    with pytest.raises(RuntimeError):
        publishing.asset_attach(
            actor=people["author"], article=article, name="wide.png", content=image_upload()
        )
    after = set(private_assets.listdir("")[1]) | {
        f"{d}/{f}" for d in private_assets.listdir("")[0] for f in private_assets.listdir(d)[1]
    }
    assert after == before
    assert not Rendition.objects.filter(asset__original_name="wide.png").exists()
