"""import_articles and export_articles: the Markdown + YAML front matter format, both ways."""

import hashlib
import io
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from guardian.shortcuts import get_group_perms, get_user_perms

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Status
from tests.factories import make_user, pdf_bytes, png_data, png_upload, tagged_image

pytestmark = pytest.mark.django_db


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def write_png(directory: Path, name: str, colour: str = "red") -> Path:
    path = directory / name
    path.write_bytes(png_data(colour))
    return path


def article_md(slug: str, *, extra: str = "", body: str = "Some words.") -> str:
    return f'---\ntitle: "Title of {slug}"\nslug: {slug}\n{extra}---\n{body}\n'


def run_import(directory: Path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", str(directory), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing_import(directory: Path) -> str:
    """Import expecting exit code 1; return what was reported on stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("import_articles", str(directory), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def roles_and_people(db):
    editor = make_user("editor")
    reader = make_user("early-reader", groups=("Early access",))
    return editor, reader


def test_import_creates_a_draft_with_assets_tags_and_grants(tmp_path, roles_and_people):
    editor, reader = roles_and_people
    write_png(tmp_path, "hero.png")
    write(
        tmp_path,
        "story.md",
        """
        ---
        title: "A story"
        slug: a-story
        summary: "In short."
        author: editor
        tags: [security, cms]
        assets: [hero.png]
        grants:
          - {group: Early access, perm: view}
          - {user: early-reader, perm: change}
        ---
        Look: ![Hero](hero.png)
        """,
    )
    out, _ = run_import(tmp_path)
    article = Article.objects.get(slug="a-story")
    revision = article.latest_revision
    assert "created a-story (draft)" in out
    assert (article.status, article.author, revision.summary) == ("draft", editor, "In short.")
    assert sorted(t.name for t in revision.tags.all()) == ["cms", "security"]
    (asset,) = revision.assets.all()
    assert asset.get_absolute_url() in revision.body_html
    assert "view_article" in get_group_perms(Group.objects.get(name="Early access"), article)
    assert "change_article" in get_user_perms(reader, article)


def test_import_published_goes_through_the_publish_service(
    tmp_path, django_capture_on_commit_callbacks
):
    write(tmp_path, "live.md", article_md("live", extra="status: published\n"))
    with django_capture_on_commit_callbacks(execute=True):
        run_import(tmp_path)
    article = Article.objects.get(slug="live")
    assert Article.objects.published().filter(pk=article.pk).exists()
    assert article.live_revision_id == article.latest_revision_id
    assert article.audit_events.filter(action="publish").exists()


def test_import_published_with_embargo_end_sets_unpublish_at(tmp_path):
    extra = "status: published\nunpublish_at: 2099-01-01T00:00:00+00:00\n"
    write(tmp_path, "live.md", article_md("live", extra=extra))
    run_import(tmp_path)
    assert Article.objects.get(slug="live").unpublish_at.year == 2099


def test_import_scheduled_schedules_and_in_review_submits(tmp_path):
    extra = "status: scheduled\npublish_at: 2099-06-01T09:00:00Z\n"
    write(tmp_path, "later.md", article_md("later", extra=extra))
    write(tmp_path, "review.md", article_md("review", extra="status: in_review\n"))
    run_import(tmp_path)
    later = Article.objects.get(slug="later")
    assert (later.status, later.publish_at.year) == ("scheduled", 2099)
    assert Article.objects.get(slug="review").status == Status.IN_REVIEW
    assert not Article.objects.published().exists()


def test_reimporting_a_slug_adds_a_revision_and_keeps_unchanged_files(tmp_path):
    write_png(tmp_path, "hero.png")
    write(tmp_path, "story.md", article_md("story", extra="assets: [hero.png]\n"))
    run_import(tmp_path)
    write(tmp_path, "story.md", article_md("story", extra="assets: [hero.png]\n", body="New."))
    out, _ = run_import(tmp_path)
    article = Article.objects.get(slug="story")
    assert "updated story" in out
    assert article.revisions.count() == 2
    assert article.latest_revision.body.strip() == "New."
    assert Asset.objects.filter(article=article).count() == 1


def test_reimporting_published_publishes_the_new_text(tmp_path):
    write(tmp_path, "live.md", article_md("live", extra="status: published\n"))
    run_import(tmp_path)
    write(tmp_path, "live.md", article_md("live", extra="status: published\n", body="Second."))
    run_import(tmp_path)
    article = Article.objects.get(slug="live")
    assert article.live_revision.body.strip() == "Second."


def test_reimport_without_status_keeps_a_published_article_live(tmp_path):
    write(tmp_path, "live.md", article_md("live", extra="status: published\n", body="First."))
    run_import(tmp_path)
    write(tmp_path, "live.md", article_md("live", body="Unpublished edit."))
    out, _ = run_import(tmp_path)
    article = Article.objects.get(slug="live")
    assert "updated live (published)" in out
    assert article.live_revision.body.strip() == "First."
    assert article.latest_revision.body.strip() == "Unpublished edit."


def test_dry_run_saves_nothing_and_stores_no_files(tmp_path, asset_storage_in_tmp):
    source = tmp_path / "in"
    source.mkdir()
    write_png(source, "hero.png")
    write(source, "story.md", article_md("story", extra="assets: [hero.png]\n"))
    out, _ = run_import(source, "--dry-run")
    assert "Dry run" in out
    assert not Article.objects.exists()
    assert stored_files(asset_storage_in_tmp) == []


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("---\ntitle: [unclosed\n---\nBody\n", "front matter", "not valid YAML"),
        (article_md("x", extra="status: live\n"), "status", "“live” is not a status"),
        (article_md("x", extra="author: nobody\n"), "author", "no user “nobody”"),
        (
            article_md("x", extra="grants: [{group: Nobody, perm: view}]\n"),
            "grants",
            "no group “Nobody”",
        ),
        (
            article_md("x", extra="grants: [{user: ghost, perm: view}]\n"),
            "grants",
            "no user “ghost”",
        ),
        (
            article_md("x", extra="grants: [{user: ghost, perm: own}]\n"),
            "grants",
            "“own” is not a permission",
        ),
        (
            article_md("x", extra="assets: [missing.png]\n"),
            "assets",
            "“missing.png” does not exist",
        ),
        (article_md("x", extra="assets: [../outside.png]\n"), "assets", "outside the directory"),
        (
            article_md("x", extra="status: scheduled\npublish_at: next tuesday\n"),
            "publish_at",
            "not an ISO 8601 time",
        ),
        (
            article_md("x", extra="status: scheduled\npublish_at: 2099-01-01T09:00:00\n"),
            "publish_at",
            "no time zone",
        ),
        (
            article_md("x", extra="status: scheduled\npublish_at: 2001-01-01T09:00:00Z\n"),
            "publish_at",
            "not in the future",
        ),
        (article_md("x", extra="status: scheduled\n"), "publish_at", "required"),
        ("---\nslug: no-title\n---\nBody\n", "title", "is missing"),
        (article_md("Not A Slug"), "slug", "lowercase"),
        (article_md("x", body="![](nowhere.png)"), "body", "“nowhere.png” is referenced"),
        (article_md("x", extra="colour: red\n"), "colour", "not a known field"),
    ],
    ids=[
        "bad-yaml",
        "unknown-status",
        "unknown-author",
        "unknown-group",
        "unknown-user",
        "bad-perm",
        "asset-missing",
        "asset-outside",
        "bad-date",
        "naive-date",
        "past-schedule",
        "schedule-without-time",
        "missing-title",
        "bad-slug",
        "body-missing-asset",
        "unknown-field",
    ],
)
def test_bad_file_is_reported_as_file_field_message(
    tmp_path, roles_and_people, text, field, message
):
    write(tmp_path, "bad.md", text)
    err = run_failing_import(tmp_path)
    assert f"bad.md: {field}: " in err
    assert message in err
    assert not Article.objects.exists()


def test_a_file_starting_with_a_byte_order_mark_is_imported(tmp_path):
    """Windows editors save UTF-8 with a BOM; it is not part of the front matter's first line."""
    (tmp_path / "bom.md").write_bytes("\ufeff".encode() + article_md("with-bom").encode())
    out, _ = run_import(tmp_path)
    assert "created with-bom" in out
    assert Article.objects.get(slug="with-bom").latest_revision.title == "Title of with-bom"


def test_import_reports_the_metadata_it_stripped_and_keeps_the_file_on_reimport(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(tagged_image("JPEG"))
    write(tmp_path, "story.md", article_md("story", extra="assets: [photo.jpg]\n"))
    out, _ = run_import(tmp_path)
    assert (
        "story.md: “photo.jpg”: removed GPS position, Make, Model, Software, XMP metadata "
        "before storing it (nothing else changed)."
    ) in out
    write(tmp_path, "story.md", article_md("story", extra="assets: [photo.jpg]\n", body="New."))
    again, _ = run_import(tmp_path)
    assert "removed" not in again  # the same file, already stored stripped: kept, not stored again
    assert Asset.objects.filter(article__slug="story").count() == 1


def test_asset_refused_by_validation_is_reported(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"<svg onload=alert(1)></svg>")
    write(tmp_path, "bad.md", article_md("x", extra="assets: [fake.png]\n"))
    err = run_failing_import(tmp_path)
    assert "bad.md: assets: “fake.png” is not a valid image" in err


def test_slug_used_by_two_files_refuses_both(tmp_path):
    write(tmp_path, "a.md", article_md("same"))
    write(tmp_path, "b.md", article_md("same"))
    err = run_failing_import(tmp_path)
    assert "a.md: slug: “same” is also the slug of b.md." in err
    assert "b.md: slug: “same” is also the slug of a.md." in err
    assert not Article.objects.exists()


def test_missing_directory_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"DIR: .* is not a directory"):
        call_command("import_articles", str(tmp_path / "nope"))


def test_directory_without_markdown_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"contains no \.md files"):
        call_command("import_articles", str(tmp_path))


def test_partial_import_keeps_good_files_and_stores_nothing_for_bad_ones(
    tmp_path, asset_storage_in_tmp
):
    source = tmp_path / "in"
    source.mkdir()
    write_png(source, "good.png", "green")
    write_png(source, "first.png", "blue")
    write(source, "a-good.md", article_md("good", extra="assets: [good.png]\n"))
    # The first asset is valid and is stored before the body fails: it must be deleted again.
    write(
        source,
        "b-bad.md",
        article_md("bad", extra="assets: [first.png]\n", body="![](first.png) ![](gone.png)"),
    )
    err = run_failing_import(source)
    assert "b-bad.md: body: " in err
    assert list(Article.objects.values_list("slug", flat=True)) == ["good"]
    (asset,) = Asset.objects.all()
    # The good image and its renditions; nothing of the bad article's image.
    kept = [asset.file.name, *(r.file.name for r in asset.renditions.all())]
    assert sorted(path.name for path in stored_files(asset_storage_in_tmp)) == sorted(
        Path(name).name for name in kept
    )


def test_export_then_import_into_an_empty_database_reproduces_everything(
    tmp_path, roles_and_people
):
    editor, reader = roles_and_people
    draft = publishing.article_create(
        actor=SYSTEM,
        author=editor,
        slug="draft-with-files",
        title="Draft with files",
        summary="Secret summary.",
        body="![Hero](hero.png) [Card](card.pdf)",
        tags=["security"],
        files=[("hero.png", png_upload("hero.png")), ("card.pdf", pdf_bytes())],
    )
    publishing.access_grant(
        actor=SYSTEM, article=draft, perm="view", group=Group.objects.get(name="Early access")
    )
    publishing.access_grant(actor=SYSTEM, article=draft, perm="change", user=reader)
    live = publishing.article_create(actor=SYSTEM, slug="live", title="Live", body="Public words.")
    publishing.article_publish(actor=SYSTEM, article=live)

    def snapshot():
        rows = {}
        for article in Article.objects.select_related("latest_revision", "author"):
            revision = article.latest_revision
            rows[article.slug] = (
                article.status,
                article.author.username if article.author else None,
                revision.title,
                revision.summary,
                revision.body.strip(),
                sorted(t.name for t in revision.tags.all()),
                sorted(
                    (a.original_name, hashlib.sha256(a.file.open("rb").read()).hexdigest())
                    for a in revision.assets.all()
                ),
                sorted(get_group_perms(Group.objects.get(name="Early access"), article)),
                sorted(get_user_perms(reader, article)),
            )
        return rows

    before = snapshot()
    call_command("export_articles", str(tmp_path / "out"), stdout=io.StringIO())
    Article.objects.all().delete()
    run_import(tmp_path / "out")
    assert snapshot() == before
    assert Article.objects.published().filter(slug="live").exists()


def test_export_of_a_published_article_leaves_out_its_unpublished_edit(tmp_path):
    article = publishing.article_create(actor=SYSTEM, slug="live", title="Live", body="Public.")
    publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_update(actor=SYSTEM, article=article, title="Live", body="Secret edit.")
    err = io.StringIO()
    call_command("export_articles", str(tmp_path), stdout=io.StringIO(), stderr=err)
    text = (tmp_path / "live.md").read_text()
    assert "Public." in text
    assert "Secret edit." not in text
    assert "unpublished working draft was not exported" in err.getvalue()


def test_export_of_a_scheduled_article_is_its_scheduled_revision(tmp_path):
    """An edit made after scheduling is not exported, so a round trip cannot schedule it."""
    article = publishing.article_create(actor=SYSTEM, slug="later", title="Later", body="Approved.")
    publishing.article_schedule(
        actor=SYSTEM, article=article, publish_at=timezone.now() + timedelta(days=1)
    )
    publishing.article_update(actor=SYSTEM, article=article, title="Later", body="Unapproved edit.")
    err = io.StringIO()
    call_command("export_articles", str(tmp_path), stdout=io.StringIO(), stderr=err)
    text = (tmp_path / "later.md").read_text()
    assert "Approved." in text
    assert "Unapproved edit." not in text
    assert "edited after scheduling, was not exported" in err.getvalue()


def test_reimporting_a_scheduled_article_schedules_the_imported_text(tmp_path):
    extra = "status: scheduled\npublish_at: 2099-06-01T09:00:00Z\n"
    write(tmp_path, "later.md", article_md("later", extra=extra))
    run_import(tmp_path)
    write(tmp_path, "later.md", article_md("later", extra=extra, body="Revised."))
    run_import(tmp_path)
    later = Article.objects.get(slug="later")
    assert later.status == Status.SCHEDULED
    assert later.scheduled_revision == later.latest_revision
    assert later.scheduled_revision.body.strip() == "Revised."


def test_export_status_filter(tmp_path):
    publishing.article_create(actor=SYSTEM, slug="draft", title="Draft")
    live = publishing.article_create(actor=SYSTEM, slug="live", title="Live")
    publishing.article_publish(actor=SYSTEM, article=live)
    call_command("export_articles", str(tmp_path), "--status", "published", stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["live.md"]
