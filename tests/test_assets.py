"""Issue 3: uploads are validated by content, stored privately under random keys, and checked."""

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import assign_perm
from PIL import Image

from articles import services
from articles.checks import asset_root
from articles.models import Article, Asset, Revision
from tests.factories import make_article, pdf_bytes, png_bytes


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def png_content() -> bytes:
    return png_bytes().read()


def decompression_bomb() -> bytes:
    """A small PNG whose header declares more pixels than the limit allows."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    return buffer.getvalue()


REFUSALS = [
    (
        "fake.png",
        png_content()[:16] + b"<html><script>alert(1)</script></html>",
        "not a valid image",
    ),
    (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG and HTML can carry script",
    ),
    ("page.html", b"<html><body>hi</body></html>", "is not accepted"),
    ("report.png", pdf_bytes().read(), "not a valid image"),
    ("photo.pdf", png_content(), "content is not a PDF"),
    ("photo.jpg", png_content(), "named as JPEG but its content is PNG"),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "“passwd” is not accepted"),
    ("bomb.png", decompression_bomb(), "too many pixels"),
    ("empty.pdf", b"", "is empty"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_uploads_name_the_file_and_the_reason(db, settings, name, content, message):
    settings.EMBARGO_MAX_IMAGE_PIXELS = 1_000_000
    article = make_article("target")
    with pytest.raises(ValidationError) as refused:
        services.asset_attach(actor=None, article=article, name=name, content=upload(name, content))
    assert message in " ".join(refused.value.messages)
    assert not Asset.objects.exists()


def test_oversize_upload_is_refused_with_the_limit(db, settings):
    settings.EMBARGO_MAX_UPLOAD_BYTES = 100
    article = make_article("target")
    with pytest.raises(ValidationError, match="the upload limit is 100"):
        services.asset_attach(
            actor=None,
            article=article,
            name="big.png",
            content=upload("big.png", png_content() * 3),
        )


def test_a_refused_upload_leaves_no_file_and_no_revision(db, asset_storage_in_tmp):
    article = make_article("target")
    revisions = Revision.objects.count()
    with pytest.raises(ValidationError):
        services.article_update(
            actor=None,
            article=article,
            title="New",
            files=[("good.png", png_bytes("good.png")), ("bad.svg", upload("bad.svg", b"<svg/>"))],
        )
    assert Revision.objects.count() == revisions
    assert not any(p.is_file() for p in asset_storage_in_tmp.rglob("*"))


def test_a_failure_after_storing_removes_the_stored_file(db, asset_storage_in_tmp):
    """Nothing half-written: the body's bad reference fails after the file was stored."""
    with pytest.raises(ValidationError, match=r"“nowhere\.png” is referenced"):
        services.article_create(
            actor=None,
            slug="half",
            title="Half",
            body="![x](nowhere.png)",
            files=[("hero.png", png_bytes())],
        )
    assert not Article.objects.exists()
    assert not any(p.is_file() for p in asset_storage_in_tmp.rglob("*"))


def test_storage_keys_are_random_and_never_the_uploaded_name(db, asset_storage_in_tmp):
    article = make_article("target", files=(png_bytes("hero.png"),), body="![x](hero.png)")
    asset = article.assets.get()
    key = Path(asset.file.name).name
    assert "hero" not in asset.file.name
    assert len(key) == 32 and int(key, 16) >= 0  # 128 random bits, hex
    assert (asset_storage_in_tmp / asset.file.name).is_file()
    assert len(asset.token) >= 32
    again = make_article("again", files=(png_bytes("hero.png"),), body="![x](hero.png)")
    assert again.assets.get().file.name != asset.file.name


def test_uploads_never_land_under_static_or_whitenoise_roots(db, settings, tmp_path):
    """After an upload, no file under any publicly served directory is new."""
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.STATIC_ROOT.mkdir()
    public_dirs = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]

    def files_under(dirs):
        return {p for d in dirs for p in d.rglob("*") if p.is_file()}

    before = files_under(public_dirs)
    make_article("target", files=(png_bytes(), pdf_bytes()), body="![x](hero.png) [c](card.pdf)")
    assert files_under(public_dirs) == before
    assert not any(asset_root().is_relative_to(d.resolve()) for d in public_dirs)


def test_private_storage_refuses_to_make_a_url(db):
    article = make_article("target", files=(png_bytes(),), body="![x](hero.png)")
    with pytest.raises(ValueError, match="no public URL"):
        article.assets.get().file.url  # noqa: B018


def test_body_references_resolve_to_the_articles_own_asset_urls(db):
    article = make_article(
        "target", files=(png_bytes(), pdf_bytes()), body="![x](hero.png) [c](card.pdf)"
    )
    html = article.latest_revision.body_html
    for asset in article.assets.all():
        assert f'"{asset.get_absolute_url()}"' in html


def test_asset_responses_carry_the_stored_type_and_disposition(client, db):
    article = make_article(
        "target",
        status="published",
        files=(png_bytes(), pdf_bytes()),
        body="![x](hero.png) [c](card.pdf)",
    )
    image = client.get(article.assets.get(original_name="hero.png").get_absolute_url())
    pdf = client.get(article.assets.get(original_name="card.pdf").get_absolute_url())
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment")
    for response in (image, pdf):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("size", [10, 1000])
def test_visible_to_is_one_query(db, django_assert_num_queries, size):
    author = User.objects.create_user("author")
    reader = User.objects.create_user("reader")
    articles = Article.objects.bulk_create(Article(slug=f"a-{n}") for n in range(size))
    for article in articles[::3]:
        assign_perm("view_article", reader, article)
    with django_assert_num_queries(1):
        visible = list(Article.objects.visible_to(reader))
    assert len(visible) == len(articles[::3])
    with django_assert_num_queries(1):
        assert list(Article.objects.visible_to(author)) == []


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"STATIC_ROOT": "ASSETS"}, "embargo.E001"),
        ({"WHITENOISE_ROOT": "ASSETS_PARENT"}, "embargo.E001"),
        ({"DEBUG": True, "ALLOWED_HOSTS": ["news.example"]}, "embargo.E003"),
        (
            {"MIDDLEWARE": ["django.middleware.cache.UpdateCacheMiddleware"]},
            "embargo.E004",
        ),
    ],
)
def test_system_checks_refuse_unsafe_settings(settings, asset_storage_in_tmp, overrides, check_id):
    values = {
        "ASSETS": asset_storage_in_tmp,
        "ASSETS_PARENT": asset_storage_in_tmp.parent,
    }
    for name, value in overrides.items():
        setattr(settings, name, values.get(value, value) if isinstance(value, str) else value)
    errors = [e for e in run_checks(tags=["security", "caches"]) if e.id == check_id]
    assert errors and errors[0].hint


def test_a_media_route_served_by_static_is_a_check_error(settings):
    settings.ROOT_URLCONF = "tests.misconfigured.urls_media"
    settings.DEBUG = True
    settings.MEDIA_URL = "/media/"
    errors = [e for e in run_checks(tags=["urls"]) if e.id == "embargo.E002"]
    assert errors and "Remove it" in errors[0].hint


def test_the_shipped_settings_pass_the_checks():
    assert [
        e for e in run_checks(tags=["security", "urls", "caches"]) if e.id.startswith("embargo.E")
    ] == []


def test_asset_files_are_not_world_readable(db, asset_storage_in_tmp):
    article = make_article("target", files=(png_bytes(),), body="![x](hero.png)")
    path = asset_storage_in_tmp / article.assets.get().file.name
    assert os.stat(path).st_mode & 0o007 == 0
