"""Issues 3 and 10: uploads are validated by content, stripped of metadata, stored privately."""

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from guardian.shortcuts import assign_perm
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from articles import publishing
from articles.access import SYSTEM
from articles.checks import asset_root
from articles.models import Article, Asset, AuditEvent, Revision
from tests.factories import (
    SRGB_PROFILE,
    make_article,
    pdf_bytes,
    png_data,
    png_upload,
    staff,
    tagged_image,
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def decompression_bomb() -> bytes:
    """A small PNG whose header declares more pixels than the limit allows."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_content(*, pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def animation(frames: int, size: int) -> bytes:
    """A GIF whose every frame differs, so that none is merged away."""
    images = [Image.effect_noise((size, size), 64 + n).convert("P") for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=50)
    return buffer.getvalue()


REFUSALS = [
    (
        "fake.png",
        png_data()[:16] + b"<html><script>alert(1)</script></html>",
        "not a valid image",
    ),
    (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG and HTML can carry script",
    ),
    ("page.html", b"<html><body>hi</body></html>", "is not accepted"),
    ("report.png", pdf_bytes().read(), "not a valid image"),
    ("photo.pdf", png_data(), "content is not a PDF"),
    ("photo.jpg", png_data(), "named as JPEG but its content is PNG"),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "“passwd” is not accepted"),
    ("bomb.png", decompression_bomb(), "too many pixels"),
    ("empty.pdf", b"", "is empty"),
    (
        "script.pdf",
        b"%PDF-<html><script>alert(1)</script></html>",
        "starts like a PDF but is not a readable PDF document",
    ),
    ("truncated.pdf", pdf_content()[:-200], "not a readable PDF document"),
    ("locked.pdf", pdf_content(password="s3cret"), "is an encrypted PDF"),
    ("blank.pdf", pdf_content(pages=0), "is a PDF without pages"),
    ("animated.gif", animation(frames=30, size=200), "every frame of an animation counted"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_uploads_name_the_file_and_the_reason(db, settings, name, content, message):
    settings.EMBARGO_MAX_IMAGE_PIXELS = 1_000_000
    article = make_article("target")
    with pytest.raises(ValidationError) as refused:
        publishing.asset_attach(
            actor=SYSTEM, article=article, name=name, content=upload(name, content)
        )
    assert message in " ".join(refused.value.messages)
    assert not Asset.objects.exists()


def test_oversize_upload_is_refused_with_the_limit(db, settings):
    settings.EMBARGO_MAX_UPLOAD_BYTES = 100
    article = make_article("target")
    with pytest.raises(ValidationError, match="the upload limit is 100"):
        publishing.asset_attach(
            actor=SYSTEM,
            article=article,
            name="big.png",
            content=upload("big.png", png_data() * 3),
        )


def test_a_refused_upload_leaves_no_file_and_no_revision(db, asset_storage_in_tmp):
    article = make_article("target")
    revisions = Revision.objects.count()
    with pytest.raises(ValidationError):
        publishing.article_update(
            actor=SYSTEM,
            article=article,
            title="New",
            files=[("good.png", png_upload("good.png")), ("bad.svg", upload("bad.svg", b"<svg/>"))],
        )
    assert Revision.objects.count() == revisions
    assert not any(p.is_file() for p in asset_storage_in_tmp.rglob("*"))


def test_a_failure_after_storing_removes_the_stored_file(db, asset_storage_in_tmp):
    """Nothing half-written: the body's bad reference fails after the file was stored."""
    with pytest.raises(ValidationError, match=r"“nowhere\.png” is referenced"):
        publishing.article_create(
            actor=SYSTEM,
            slug="half",
            title="Half",
            body="![x](nowhere.png)",
            files=[("hero.png", png_upload())],
        )
    assert not Article.objects.exists()
    assert not any(p.is_file() for p in asset_storage_in_tmp.rglob("*"))


def test_storage_keys_are_random_and_never_the_uploaded_name(db, asset_storage_in_tmp):
    article = make_article("target", files=(png_upload("hero.png"),), body="![x](hero.png)")
    asset = article.assets.get()
    key = Path(asset.file.name).name
    assert "hero" not in asset.file.name
    assert len(key) == 32 and int(key, 16) >= 0  # 128 random bits, hex
    assert (asset_storage_in_tmp / asset.file.name).is_file()
    assert len(asset.token) >= 32
    again = make_article("again", files=(png_upload("hero.png"),), body="![x](hero.png)")
    assert again.assets.get().file.name != asset.file.name


def test_uploads_never_land_under_static_or_whitenoise_roots(db, settings, tmp_path):
    """After an upload, no file under any publicly served directory is new."""
    settings.STATIC_ROOT = tmp_path / "static-root"
    settings.STATIC_ROOT.mkdir()
    public_dirs = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]

    def files_under(dirs):
        return {p for d in dirs for p in d.rglob("*") if p.is_file()}

    before = files_under(public_dirs)
    make_article("target", files=(png_upload(), pdf_bytes()), body="![x](hero.png) [c](card.pdf)")
    assert files_under(public_dirs) == before
    assert not any(asset_root().is_relative_to(d.resolve()) for d in public_dirs)


def test_private_storage_refuses_to_make_a_url(db):
    article = make_article("target", files=(png_upload(),), body="![x](hero.png)")
    with pytest.raises(ValueError, match="no public URL"):
        article.assets.get().file.url  # noqa: B018


def test_body_references_resolve_to_the_articles_own_asset_urls(db):
    article = make_article(
        "target", files=(png_upload(), pdf_bytes()), body="![x](hero.png) [c](card.pdf)"
    )
    html = article.latest_revision.body_html
    for asset in article.assets.all():
        assert f'"{asset.get_absolute_url()}"' in html


def test_asset_responses_carry_the_stored_type_and_disposition(client, db):
    article = make_article(
        "target",
        status="published",
        files=(png_upload(), pdf_bytes()),
        body="![x](hero.png) [c](card.pdf)",
    )
    image = client.get(article.assets.get(original_name="hero.png").get_absolute_url())
    pdf = client.get(article.assets.get(original_name="card.pdf").get_absolute_url())
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    assert pdf["Content-Type"] == "application/pdf"
    # Public: the browser's PDF viewer may open it (a sandboxed document may not load the viewer).
    assert pdf["Content-Disposition"].startswith("inline")
    assert pdf["Content-Security-Policy"] == "default-src 'none'"
    assert image["X-Content-Type-Options"] == pdf["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image["Content-Security-Policy"]


def test_a_private_pdf_stays_a_sandboxed_attachment(client, db):
    article = make_article("target", files=(pdf_bytes(),), body="[c](card.pdf)")
    editor = User.objects.create_superuser("boss")
    client.force_login(editor)
    pdf = client.get(article.assets.get(original_name="card.pdf").get_absolute_url())
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment")
    assert "sandbox" in pdf["Content-Security-Policy"]


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
    article = make_article("target", files=(png_upload(),), body="![x](hero.png)")
    path = asset_storage_in_tmp / article.assets.get().file.name
    assert os.stat(path).st_mode & 0o007 == 0


# --- metadata is stripped at upload (issue 10, item 9) ------------------------------------------

SECRETS = (b"Canon", b"EOS R5", b"SecretEditor", b"Jane Reporter", b"secret-xmp", b"secret note")


def pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.add_metadata(
        {"/Author": "Jane Reporter", "/Creator": "SecretEditor", "/Title": "Merger memo"}
    )
    writer.xmp_metadata = b"<x:xmpmeta><rdf:Description creator='secret-xmp'/></x:xmpmeta>"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def stored_bytes(asset: Asset) -> bytes:
    with asset.file.open("rb") as stored:
        return stored.read()


def attach(name: str, content: bytes) -> Asset:
    article = make_article("target")
    return publishing.asset_attach(
        actor=SYSTEM, article=article, name=name, content=upload(name, content)
    )


TAGGED_IMAGES = [
    ("photo.jpg", lambda: tagged_image("JPEG", comment=b"secret note")),
    ("photo.webp", lambda: tagged_image("WEBP")),
    ("photo.png", lambda: tagged_image("PNG", pnginfo=png_text(Author="Jane Reporter"))),
]


def png_text(**chunks: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    return info


@pytest.mark.parametrize(("name", "build"), TAGGED_IMAGES, ids=[n for n, _ in TAGGED_IMAGES])
def test_image_metadata_is_stripped_but_orientation_and_colour_profile_survive(db, name, build):
    asset = attach(name, build())
    content = stored_bytes(asset)
    assert not [secret for secret in SECRETS if secret in content]
    with Image.open(io.BytesIO(content)) as stored:
        exif = stored.getexif()
        assert dict(exif) == {ExifTags.Base.Orientation: 6}
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert stored.info["icc_profile"] == SRGB_PROFILE
        assert "xmp" not in stored.info and "comment" not in stored.info
        assert stored.size == (16, 8)


def test_stored_size_and_sha256_describe_the_stripped_bytes(db):
    original = tagged_image("JPEG")
    asset = attach("photo.jpg", original)
    content = stored_bytes(asset)
    assert len(content) < len(original)
    assert (asset.size, asset.sha256) == (len(content), hashlib.sha256(content).hexdigest())


def test_the_removed_fields_are_named_on_the_asset(db):
    asset = attach("photo.jpg", tagged_image("JPEG", comment=b"secret note"))
    assert asset.removed_metadata == [
        "GPS position",
        "Make",
        "Model",
        "Software",
        "XMP metadata",
        "comment",
    ]


def test_png_text_chunks_are_named_and_stripped(db):
    asset = attach("chart.png", tagged_image("PNG", pnginfo=png_text(Author="Jane Reporter")))
    assert "PNG text “Author”" in asset.removed_metadata
    assert b"tEXt" not in stored_bytes(asset)


def test_an_animation_loses_its_comment_but_keeps_its_frames_and_timing(db):
    frames = [Image.effect_noise((8, 8), 40 + n).convert("P") for n in range(3)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300],
        loop=0,
        comment=b"secret note",
    )
    asset = attach("loop.gif", buffer.getvalue())
    assert asset.removed_metadata == ["comment"]
    assert b"secret note" not in stored_bytes(asset)
    with Image.open(io.BytesIO(stored_bytes(asset))) as stored:
        durations = []
        for index in range(stored.n_frames):
            stored.seek(index)
            durations.append(stored.info["duration"])
    assert durations == [100, 200, 300]


def test_a_camera_jpeg_with_extra_images_keeps_only_the_photo(db):
    """Phones write MPF (depth map, gain map, preview) into JPEGs; Pillow calls the file MPO."""
    photo, hidden = Image.new("RGB", (16, 8), "red"), Image.new("RGB", (4, 4), "blue")
    buffer = io.BytesIO()
    photo.save(buffer, format="MPO", save_all=True, append_images=[hidden])
    asset = attach("photo.jpg", buffer.getvalue())
    assert asset.removed_metadata == ["MPF (extra images)"]
    with Image.open(io.BytesIO(stored_bytes(asset))) as stored:
        assert (stored.format, stored.size, getattr(stored, "n_frames", 1)) == ("JPEG", (16, 8), 1)


def test_pdf_info_dictionary_and_xmp_are_stripped(db):
    asset = attach("memo.pdf", pdf_with_metadata())
    content = stored_bytes(asset)
    assert not [secret for secret in SECRETS if secret in content]
    assert b"Merger memo" not in content and b"/Producer" not in content
    reader = PdfReader(io.BytesIO(content))
    assert (reader.metadata, reader.xmp_metadata, len(reader.pages)) == (None, None, 1)
    assert asset.removed_metadata == [
        "document Producer",
        "document Author",
        "document Creator",
        "document Title",
        "XMP metadata",
    ]
    assert (asset.size, asset.sha256) == (len(content), hashlib.sha256(content).hexdigest())


def test_xmp_on_a_page_is_stripped_and_leaves_no_orphan_object(db):
    """Metadata streams hang off pages and images too; a detached one must not stay in the file."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=72, height=72)
    xmp = StreamObject()
    xmp.set_data(b"<x:xmpmeta><rdf:Description creator='secret-xmp'/></x:xmpmeta>")
    page[NameObject("/Metadata")] = writer._add_object(xmp)  # pypdf has no public way for a page
    writer.metadata = None
    buffer = io.BytesIO()
    writer.write(buffer)
    asset = attach("memo.pdf", buffer.getvalue())
    assert asset.removed_metadata == ["XMP metadata"]
    assert b"secret-xmp" not in stored_bytes(asset)
    assert len(PdfReader(io.BytesIO(stored_bytes(asset))).pages) == 1


@pytest.mark.parametrize(
    ("name", "build"), [("card.pdf", pdf_bytes), ("hero.png", png_upload)], ids=["pdf", "png"]
)
def test_a_file_without_metadata_is_stored_byte_for_byte(db, name, build):
    original = build(name).read()
    asset = attach(name, original)
    assert stored_bytes(asset) == original
    assert asset.removed_metadata == []


def test_a_stripped_file_uploaded_again_is_stored_unchanged(db):
    """Stripping is stable: an exported asset re-imported keeps its bytes, quality and hash."""
    first = attach("photo.jpg", tagged_image("JPEG"))
    again = publishing.asset_attach(
        actor=SYSTEM,
        article=first.article,
        name="photo.jpg",
        content=upload("photo.jpg", stored_bytes(first)),
    )
    assert (again.sha256, again.removed_metadata) == (first.sha256, [])


def png_with_short_pixel_data() -> bytes:
    """A PNG with a text chunk whose chunks all check out but whose pixel data ends early."""
    original = tagged_image("PNG", pnginfo=png_text(Author="Jane Reporter"))
    rebuilt, offset = bytearray(original[:8]), 8
    while offset < len(original):
        length, kind = struct.unpack(">I4s", original[offset : offset + 8])
        body = original[offset + 8 : offset + 8 + length]
        if kind == b"IDAT":
            body = zlib.compress(
                b"\x00" * 5
            )  # valid zlib, far fewer scanlines than the header says
        rebuilt += struct.pack(">I4s", len(body), kind) + body
        rebuilt += struct.pack(">I", zlib.crc32(kind + body))
        offset += 12 + length
    return bytes(rebuilt)


def test_an_image_that_only_fails_when_decoded_is_refused_not_a_crash(db):
    """verify() checks a PNG's chunks, not its pixels; stripping decodes them, and a failure refuses."""
    with pytest.raises(ValidationError, match="is not a valid image"):
        attach("broken.png", png_with_short_pixel_data())
    assert not Asset.objects.exists()


def test_the_audit_event_records_what_was_removed(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset = attach("photo.jpg", tagged_image("JPEG"))
    event = AuditEvent.objects.get(action="asset_attach", asset=asset)
    assert event.detail["removed_metadata"] == asset.removed_metadata


def test_the_editor_is_told_what_was_removed_after_an_admin_upload(client, db):
    author = staff("alice", "Authors")
    article = publishing.article_create(actor=author, slug="memo", title="Memo", body="Words.")
    client.force_login(author)
    response = client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        {
            "title": "Memo",
            "summary": "",
            "body": "Words.",
            "tags": "",
            "loaded_version": article.version,
            "uploads": [upload("photo.jpg", tagged_image("JPEG")), pdf_bytes("card.pdf")],
            "_save": "Save",
        },
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    assert (
        "“photo.jpg”: removed GPS position, Make, Model, Software, XMP metadata before storing "
        "it (nothing else changed)."
    ) in shown
    assert not [message for message in shown if "card.pdf" in message]  # nothing to remove
