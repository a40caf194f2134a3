"""Traceable share links: every copy a link serves carries its recipient's mark; trace_leak reads it."""

import io
import random
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image, ImageStat
from pypdf import PdfReader, PdfWriter

from articles import backup, orphans, publishing
from articles.access import PREVIEW_SALT, SYSTEM
from articles.admin.forms import PreviewLinkForm
from articles.management.commands.trace_leak import Command as TraceLeak
from articles.marking import image_watermark, payload, text_fingerprint
from articles.models import Article, Classification, Mark, MarkedCopy, PreviewLink
from articles.publishing.marks import MARKABLE
from articles.validation import ACCEPTED_TYPES
from tests.factories import make_article, make_user
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

BODY = " ".join(
    f"Paragraph {n}: the harbour committee met on the quiet pier to weigh the tidal figures, "
    "the dredging budget and the ferry timetable before anyone outside could hear of it."
    for n in range(1, 7)
)


def photo(name: str = "chart.png", size=(320, 240), image_format: str = "PNG"):
    """A noisy, photo-like image upload big enough to carry the invisible watermark."""
    noise = random.Random(7).randbytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, noise).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


def two_page_pdf(name: str = "figures.pdf"):
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=400)
    writer.add_blank_page(width=600, height=200)
    writer.metadata = None
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def article():
    return make_article(
        "quiet-harbour",
        title="Quiet harbour",
        summary="What the harbour committee decided.",
        body=f"{BODY}\n\n![chart](chart.png)\n\n[the figures](figures.pdf)",
        files=[photo(), two_page_pdf()],
    )


@pytest.fixture
def sharer(article):
    person = make_user("ada")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=person)
    publishing.access_grant(actor=SYSTEM, article=article, perm="share", user=person)
    return person


@pytest.fixture
def link(article, sharer):
    return publishing.preview_link_issue(actor=sharer, article=article, label="Harbour counsel")


def asset_named(article, name: str):
    return article.latest_revision.assets.get(original_name=name)


def through_link(client, token: str, asset, variant: str = ""):
    middle = f"{variant}/" if variant else ""
    return client.get(f"/preview/{token}/assets/{asset.token}/{middle}{asset.download_name}")


class _Text(HTMLParser):
    """The text of a page as a browser copies it: tags dropped, paragraphs on their own lines."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "div", "h1", "li", "br"):
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parts for parts in parser.parts)


def content(response) -> bytes:
    """A streamed file's bytes: read to the end, which closes the file (as a server would)."""
    return b"".join(response.streaming_content)


def stored(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def trace(path) -> str:
    out = io.StringIO()
    call_command("trace_leak", str(path), stdout=out)
    return out.getvalue()


def jpeg_q75(data: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


# --- the page ---------------------------------------------------------------------------------


def test_the_page_names_its_recipient_in_a_visible_line(client, link):
    found, token = link
    html = client.get(f"/preview/{token}/").content.decode()
    mark = Mark.objects.get(preview_link=found)
    expected = f"Shared with Harbour counsel · link #{found.pk} · "
    assert expected in html
    assert payload.reference(mark.pk) in html


@pytest.mark.parametrize("start", [0, 137, 401, 650])
def test_a_pasted_excerpt_of_the_page_traces_to_its_link(client, link, tmp_path, start):
    """Any 200 characters of the body, as copied into plain text, name the link and its recipient."""
    found, token = link
    text = page_text(client.get(f"/preview/{token}/").content.decode())
    body = text[text.index("Paragraph") :]
    end = start
    while text_fingerprint.visible_length(body[start:end].strip()) < 200:
        end += 1
    excerpt = body[start:end]
    assert "Shared with" not in excerpt  # the invisible fingerprint alone
    leaked = tmp_path / "leak.txt"
    leaked.write_text(excerpt, encoding="utf-8")
    output = trace(leaked)
    assert f"Share link #{found.pk} for “Harbour counsel” to “quiet-harbour”" in output
    assert "Issued by ada on " in output
    assert "still works" in output


def test_pasted_text_is_read_from_stdin(client, link, monkeypatch):
    found, token = link
    text = page_text(client.get(f"/preview/{token}/").content.decode())
    monkeypatch.setattr(sys, "stdin", io.StringIO(text[text.index("Paragraph") + 300 :][:400]))
    assert f"Share link #{found.pk}" in trace("-")


def test_the_fingerprint_does_not_change_what_a_reader_sees(client, link):
    _, token = link
    text = page_text(client.get(f"/preview/{token}/").content.decode())
    visible = text.translate({ord(ch): None for ch in text_fingerprint.INVISIBLE})
    assert BODY[:300] in visible
    assert text_fingerprint.DELIMITER in text


def test_text_without_spaces_carries_the_fingerprint_too():
    """Chinese or Japanese has no spaces between words: the fingerprint goes between characters."""
    marked = text_fingerprint.fingerprint_html("<p>" + "港口委员会" * 120 + "</p>", 31)
    text = marked.removeprefix("<p>").removesuffix("</p>")
    for start in range(0, 300, 41):
        end = start + 200
        while text_fingerprint.visible_length(text[start:end]) < 200:
            end += 1
        assert text_fingerprint.find(text[start:end]) == 31


def test_no_fingerprint_goes_between_two_paragraphs():
    """There the invisible characters would make an empty line of their own."""
    html = "<p>" + "word " * 30 + "end</p>\n<p>" + "next " * 30 + "</p>"
    marked = text_fingerprint.fingerprint_html(html, 31)
    assert "</p>\n<p>" in marked
    assert marked.count(text_fingerprint.DELIMITER) >= 4


def test_stdin_that_is_not_text_is_refused_clearly(monkeypatch):
    binary = io.TextIOWrapper(io.BytesIO(b"\xff\xd8\xff\xe0 a JPEG piped in"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", binary)
    with pytest.raises(CommandError, match="standard input is not UTF-8 text"):
        trace("-")


def test_text_shorter_than_200_characters_is_refused(tmp_path):
    leaked = tmp_path / "short.txt"
    leaked.write_text("The harbour committee met on the quiet pier.", encoding="utf-8")
    with pytest.raises(CommandError, match="paste at least 200"):
        trace(leaked)


# --- images -----------------------------------------------------------------------------------


def test_an_image_re_encoded_as_jpeg_q75_traces_to_its_link(client, link, article, tmp_path):
    found, token = link
    response = through_link(client, token, asset_named(article, "chart.png"))
    served = content(response)
    original = stored(asset_named(article, "chart.png").file)
    assert served != original
    leaked = tmp_path / "leak.jpg"
    leaked.write_bytes(jpeg_q75(served))
    output = trace(leaked)
    assert f"Share link #{found.pk} for “Harbour counsel”" in output
    assert "image" in output


def test_a_rendition_through_the_link_is_marked_too(client, link, article, tmp_path):
    found, token = link
    response = through_link(client, token, asset_named(article, "chart.png"), "320w.webp")
    assert response.status_code == 200
    leaked = tmp_path / "leak.jpg"
    leaked.write_bytes(jpeg_q75(content(response)))
    assert f"Share link #{found.pk}" in trace(leaked)


def test_every_image_carries_a_visible_stamp(client, link, article):
    """The stamp darkens a band along the bottom edge; the top of the image is left as it was."""
    _, token = link
    chart = asset_named(article, "chart.png")
    served = Image.open(io.BytesIO(content(through_link(client, token, chart))))
    original = Image.open(io.BytesIO(stored(chart.file)))

    def mean_brightness(image, box):
        return ImageStat.Stat(image.convert("L").crop(box)).mean[0]

    bottom = (0, 230, 320, 240)
    assert mean_brightness(served, bottom) < mean_brightness(original, bottom) - 40
    top = (0, 0, 320, 60)
    assert abs(mean_brightness(served, top) - mean_brightness(original, top)) < 3


def test_an_unmarked_image_says_no_mark_was_found_and_fails(article, tmp_path, capsys):
    leaked = tmp_path / "original.jpg"
    leaked.write_bytes(jpeg_q75(stored(asset_named(article, "chart.png").file)))
    with pytest.raises(SystemExit) as exited:
        TraceLeak().run_from_argv(["manage.py", "trace_leak", str(leaked)])
    assert exited.value.code == 1
    assert "No Embargo mark found in this image" in capsys.readouterr().err


def test_the_watermark_round_trips_jpeg_q75_for_many_ids():
    image = Image.frombytes("RGB", (256, 256), random.Random(3).randbytes(256 * 256 * 3))
    for mark_id in (1, 2, 77, 65_535, 2**32 - 1):
        marked = image_watermark.embed(image, mark_id)
        buffer = io.BytesIO()
        marked.save(buffer, format="JPEG", quality=75)
        assert image_watermark.extract(Image.open(buffer)) == mark_id


def test_a_flat_white_image_still_carries_the_watermark():
    marked = image_watermark.embed(Image.new("RGB", (320, 240), "white"), 4242)
    buffer = io.BytesIO()
    marked.save(buffer, format="JPEG", quality=75)
    assert image_watermark.extract(Image.open(buffer)) == 4242


# --- PDFs -------------------------------------------------------------------------------------


def test_every_pdf_page_is_stamped_and_the_pdf_traces(client, link, article, tmp_path):
    found, token = link
    response = through_link(client, token, asset_named(article, "figures.pdf"))
    served = content(response)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(served)).pages]
    assert len(pages) == 2
    for text in pages:
        assert f"Shared with Harbour counsel · link #{found.pk} · " in text
    leaked = tmp_path / "leak.pdf"
    leaked.write_bytes(served)
    assert f"Share link #{found.pk} for “Harbour counsel”" in trace(leaked)


def test_a_pdf_without_its_metadata_traces_by_its_stamp(client, link, article, tmp_path):
    found, token = link
    served = content(through_link(client, token, asset_named(article, "figures.pdf")))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(served)))
    writer.metadata = None
    leaked = tmp_path / "stripped.pdf"
    with leaked.open("wb") as handle:
        writer.write(handle)
    assert PdfReader(leaked).metadata is None or "/EmbargoMark" not in PdfReader(leaked).metadata
    assert f"Share link #{found.pk}" in trace(leaked)


# --- after the link ends ----------------------------------------------------------------------


def _serve_everything(client, token, article) -> list[str]:
    chart, figures = asset_named(article, "chart.png"), asset_named(article, "figures.pdf")
    for response in (through_link(client, token, chart), through_link(client, token, figures)):
        assert response.status_code == 200
        content(response)
    return list(MarkedCopy.objects.values_list("file", flat=True))


def test_revoking_a_link_deletes_its_copies_but_its_copy_still_traces(
    client, link, article, tmp_path, asset_storage_in_tmp, django_capture_on_commit_callbacks
):
    found, token = link
    served = content(through_link(client, token, asset_named(article, "chart.png")))
    names = _serve_everything(client, token, article)
    assert len(names) == 2 and all((asset_storage_in_tmp / name).exists() for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.preview_link_revoke(actor=SYSTEM, link=found)
    assert not MarkedCopy.objects.exists()
    assert not any((asset_storage_in_tmp / name).exists() for name in names)
    leaked = tmp_path / "leak.jpg"
    leaked.write_bytes(jpeg_q75(served))
    output = trace(leaked)
    assert f"Share link #{found.pk} for “Harbour counsel”" in output
    assert "The link was ended on " in output and "revoked from the shell" in output


def test_an_expired_links_copies_go_with_the_next_publish_scheduled(
    client, link, article, asset_storage_in_tmp, django_capture_on_commit_callbacks
):
    found, token = link
    names = _serve_everything(client, token, article)
    PreviewLink.objects.filter(pk=found.pk).update(expires_at=timezone.now() - timedelta(1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_scheduled", stdout=io.StringIO())
    assert not MarkedCopy.objects.exists()
    assert not any((asset_storage_in_tmp / name).exists() for name in names)
    assert Mark.objects.filter(preview_link=found).exists()


def test_a_live_links_copies_survive_publish_scheduled(client, link, article):
    _, token = link
    names = _serve_everything(client, token, article)
    call_command("publish_scheduled", stdout=io.StringIO())
    assert sorted(MarkedCopy.objects.values_list("file", flat=True)) == sorted(names)


def test_a_link_ended_with_its_creators_access_loses_its_copies(
    client, link, article, sharer, django_capture_on_commit_callbacks
):
    _, token = link
    _serve_everything(client, token, article)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=sharer)
    assert not MarkedCopy.objects.exists()


# --- doors and storage --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["chart.png", "figures.pdf"])
def test_marked_copies_are_private_and_never_stored_by_a_cache(client, link, article, name):
    _, token = link
    response = through_link(client, token, asset_named(article, name))
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert "ETag" not in response
    assert int(response["Content-Length"]) == MarkedCopy.objects.get().size
    content(response)


@pytest.mark.parametrize("variant", ["", "320w.webp"])
@pytest.mark.parametrize("ended_by", ["revoked", "never issued"])
def test_a_dead_links_copy_url_is_the_missing_404(client, link, article, ended_by, variant):
    """After revocation (or for a token never issued) a copy's URL is the 404 of nothing."""
    found, token = link
    chart = asset_named(article, "chart.png")
    served = through_link(client, token, chart, variant)
    assert served.status_code == 200
    content(served)
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    if ended_by == "revoked":
        publishing.preview_link_revoke(actor=SYSTEM, link=found)
    else:
        token = signing.Signer(salt=PREVIEW_SALT).sign("also-never-issued")
    response, missing = (
        through_link(client, token, chart, variant),
        through_link(client, never, chart, variant),
    )
    assert response.status_code == 404
    assert_same_shape(response, missing)


def test_live_copies_are_not_orphans_and_stay_out_of_backups(client, link, article, tmp_path):
    """gc_assets keeps them; a backup keeps the marks (for tracing) but not the extra copies."""
    _, token = link
    names = _serve_everything(client, token, article)
    assert not set(names) & set(orphans.orphaned_files())
    backup.backup(tmp_path / "backup")
    rows = (tmp_path / "backup" / "data.json").read_text()
    assert '"model": "articles.mark"' in rows
    assert "articles.markedcopy" not in rows
    assert not any((tmp_path / "backup" / "files" / name).exists() for name in names)


def test_a_copy_for_a_signed_in_reader_traces_to_them(article, tmp_path):
    """The engine marks for a reader too (restricted work): one mark per reader and article."""
    reader = make_user("grace")
    copy = publishing.marked_copy(asset_named(article, "chart.png"), reader)
    assert publishing.marked_copy(asset_named(article, "chart.png"), reader).pk == copy.pk
    leaked = tmp_path / "leak.jpg"
    leaked.write_bytes(jpeg_q75(stored(copy.file)))
    assert "signed-in reader “grace” of “quiet-harbour”" in trace(leaked)


def test_every_accepted_upload_type_can_be_marked():
    """A link never serves a file unmarked, so every type an upload may have has a marker."""
    assert {content_type for _, content_type in ACCEPTED_TYPES.values()} <= MARKABLE


# --- bad input ----------------------------------------------------------------------------------


def test_an_unsupported_file_is_refused_clearly(tmp_path):
    leaked = tmp_path / "leak.bin"
    leaked.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CommandError, match="not UTF-8 text, an image"):
        trace(leaked)


def test_a_damaged_pdf_is_refused_clearly(tmp_path):
    leaked = tmp_path / "leak.pdf"
    leaked.write_bytes(b"%PDF-1.7\nnot really a pdf")
    with pytest.raises(CommandError, match="looks like a PDF but cannot be read"):
        trace(leaked)


def test_a_password_protected_pdf_is_refused_clearly(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.encrypt("secret")
    leaked = tmp_path / "locked.pdf"
    with leaked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(CommandError, match="encrypted with a password"):
        trace(leaked)


def test_a_missing_file_is_refused_clearly(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        trace(tmp_path / "nothing-here.jpg")


def test_a_mark_this_site_never_made_is_reported(tmp_path):
    marked = image_watermark.embed(Image.new("RGB", (320, 240), "grey"), 987_654)
    leaked = tmp_path / "foreign.png"
    marked.save(leaked)
    with pytest.raises(CommandError, match="mark #987654, which this site never made"):
        trace(leaked)


# --- the label ----------------------------------------------------------------------------------


def test_the_command_refuses_a_link_without_a_label(article):
    with pytest.raises(CommandError, match="--label: say who the link is for"):
        call_command("preview_link", article.slug, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="--label"):
        call_command("preview_link", article.slug, "--label", "  ", stdout=io.StringIO())
    assert not PreviewLink.objects.exists()


@pytest.mark.parametrize("label", ["", "   "])
def test_the_share_form_refuses_an_empty_label(label):
    form = PreviewLinkForm(data={"label": label, "hours": 1})
    assert form.errors["label"] == ["Say who the link is for, e.g. “Legal review”."]


def test_the_service_refuses_an_empty_label(article, sharer):
    with pytest.raises(ValidationError, match="Say who the link is for"):
        publishing.preview_link_issue(actor=sharer, article=article, label=" ")


def test_links_without_a_label_are_named_by_the_migration(link):
    from importlib import import_module

    from django.apps import apps

    found, _ = link
    PreviewLink.objects.filter(pk=found.pk).update(label="")
    migration = import_module("articles.migrations.0018_traceable_share_links")
    migration.name_unnamed_links(apps, None)
    assert PreviewLink.objects.get(pk=found.pk).label == f"unnamed link #{found.pk}"


# --- restricted work: granted readers get copies marked for them -------------------------------


def test_a_restricted_drafts_image_reaches_a_granted_reader_only_marked_for_them(
    client, article, tmp_path
):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
    Article.objects.filter(pk=article.pk).update(classification=Classification.RESTRICTED)
    chart = asset_named(article, "chart.png")
    client.force_login(reader)
    response = client.get(f"/assets/{chart.token}/{chart.download_name}")
    assert response.status_code == 200
    assert "private, no-store" in response["Cache-Control"]
    served = content(response)
    assert served != stored(chart.file)
    leaked = tmp_path / "leak.jpg"
    leaked.write_bytes(jpeg_q75(served))
    assert "signed-in reader “grace” of “quiet-harbour”" in trace(leaked)


def test_a_restricted_drafts_rendition_is_marked_for_the_reader_too(client, article):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
    Article.objects.filter(pk=article.pk).update(classification=Classification.RESTRICTED)
    chart = asset_named(article, "chart.png")
    rendition = chart.renditions.order_by("width").first()
    client.force_login(reader)
    variant = f"{rendition.width}w.{rendition.format}"
    response = client.get(f"/assets/{chart.token}/{variant}/{chart.download_name}")
    assert response.status_code == 200
    assert content(response) != stored(rendition.file)


def test_a_standard_drafts_image_reaches_a_granted_reader_as_stored(client, article):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
    chart = asset_named(article, "chart.png")
    client.force_login(reader)
    response = client.get(f"/assets/{chart.token}/{chart.download_name}")
    assert content(response) == stored(chart.file)
