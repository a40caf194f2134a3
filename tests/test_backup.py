"""backup/restore carry everything: a restore into an empty database dumps the same, field by field."""

import io
import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles import backup, publishing
from articles.access import SYSTEM
from articles.exposure import Finding, Report
from articles.exposure.records import exposure_run_record
from articles.models import Article, Status
from articles.publishing import approvals, classification, editing
from tests.factories import make_article, make_user, pdf_bytes, png_upload

ROOT = Path(__file__).resolve().parent.parent
DUMP = [
    "dumpdata",
    "articles",
    "auth.user",
    "auth.group",
    "guardian",
    "--natural-foreign",
    "--natural-primary",
    "--exclude",
    "articles.PageCacheGeneration",
    # Extra copies of private files, made again on request: a backup leaves them out on purpose.
    "--exclude",
    "articles.MarkedCopy",
]


def normalised(rows: list[dict]) -> list[dict]:
    """Passwords differ by design (none is carried): everything else must be equal."""
    for row in rows:
        if row["model"] == "auth.user":
            assert row["fields"]["password"].startswith("!") or row["fields"]["password"]
            row["fields"]["password"] = "<not carried>"
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


@pytest.fixture
def newsroom(db):
    editor = make_user("erin", groups=("Editors",))
    reader = make_user("rory")
    legal = Group.objects.create(name="Legal")
    reader.groups.add(legal)
    published = make_article(
        "harbour-story",
        status=Status.PUBLISHED,
        title="Harbour Story",
        files=(png_upload(),),
        tags=["Harbours"],
    )
    publishing.article_update(
        actor=SYSTEM,
        article=published,
        title="Harbour Story, working draft",
        body="Not yet public.",
        tags=["Harbours", "Drafts"],
        files=[("card.pdf", pdf_bytes())],
    )
    scheduled = make_article("quiet-story", files=(png_upload("q.png", "blue"),))
    publishing.article_schedule(
        actor=SYSTEM,
        article=scheduled,
        publish_at=timezone.now() + timedelta(days=2),
        unpublish_at=timezone.now() + timedelta(days=9),
    )
    make_article("old-story", status=Status.WITHDRAWN)
    publishing.access_grant(actor=SYSTEM, article=published, perm="view", user=reader)
    publishing.access_grant(actor=SYSTEM, article=scheduled, perm="change", group=legal)
    link, _ = publishing.preview_link_issue(actor=SYSTEM, article=scheduled, label="Legal review")
    # A copy served through the link: its mark is carried (a leak still traces), the copy is not.
    publishing.marked_copy(scheduled.assets.get(), link)
    # A restricted draft with an approval waiting to be used: classification and approvals travel.
    ada, bob = (make_user(name, groups=("Publishers",)) for name in ("ada", "bob"))
    restricted = classification.article_classify(
        actor=ada, article=make_article("sealed-story"), classification="restricted"
    )
    approvals.approval_give(
        actor=bob, approval=approvals.approval_request_publication(actor=ada, article=restricted)
    )
    editing.autosave_store(
        actor=editor, article=scheduled, title="Quiet", summary="", body="Unsaved.", tags=""
    )
    exposure_run_record(
        report=Report(findings=[Finding("error", "draft “q”", "/x/", "article URL", "differs")]),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        source="command",
        probed={"Probing non-public objects": 12},
    )
    return editor


def restored_env(tmp_path: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "EMBARGO_ASSET_ROOT"}
    }
    env.update(
        EMBARGO_ENVIRONMENT="test",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        EMBARGO_ASSET_ROOT=str(tmp_path / "restored-assets"),
    )
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_restore_into_an_empty_database_gives_the_same_full_dump(newsroom, tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    source = io.StringIO()
    call_command(*DUMP, stdout=source)

    env = restored_env(tmp_path)
    manage(env, "migrate", "--verbosity", "0")
    restored = manage(env, "restore", str(tmp_path / "backup"))
    assert "password reset" in restored.stdout
    dumped = manage(env, *DUMP).stdout

    assert normalised(json.loads(dumped)) == normalised(json.loads(source.getvalue()))
    assert '"model": "articles.mark"' in dumped
    assert "articles.markedcopy" not in manage(env, "dumpdata", "articles.MarkedCopy").stdout
    # And the files, byte for byte, under the same storage keys.
    for name in backup.Asset.objects.values_list("file", flat=True):
        assert (tmp_path / "restored-assets" / name).read_bytes() == (
            Path(settings.ASSET_ROOT) / name
        ).read_bytes()


def test_the_dump_holds_what_export_lost(newsroom, tmp_path):
    rows = backup.dump_for_comparison()
    models = {row["model"] for row in rows}
    assert {
        "articles.revision",
        "articles.auditevent",
        "articles.previewlink",
        "articles.approval",
        "articles.autosave",
        "articles.articleuserobjectpermission",
        "articles.articlegroupobjectpermission",
        "auth.user",
        "auth.group",
    } <= models
    article = next(
        r
        for r in rows
        if r["model"] == "articles.article" and r["fields"]["slug"] == "harbour-story"
    )
    assert article["fields"]["published_at"] and article["fields"]["live_revision"]
    assert article["fields"]["live_revision"] != article["fields"]["latest_revision"]
    assert all(
        not r["fields"]["password"] or r["fields"]["password"].startswith("!")
        for r in rows
        if r["model"] == "auth.user"
    )


def test_backup_files_are_private(newsroom, tmp_path):
    call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO())
    for path in [tmp_path / "backup", *(tmp_path / "backup").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_restore_refuses_a_database_with_content(newsroom, tmp_path):
    call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already has content"):
        call_command("restore", str(tmp_path / "backup"))


def test_restore_verifies_every_hash_before_writing_anything(newsroom, tmp_path):
    call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO())
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    tampered = tmp_path / "backup" / "files" / sorted(manifest["files"])[-1]
    tampered.chmod(0o600)
    tampered.write_bytes(b"not the file")
    Article.objects.all().delete()
    for model in backup.CONTENT_MODELS:
        model._default_manager.all().delete()
    with pytest.raises(CommandError, match="does not match its SHA-256"):
        call_command("restore", str(tmp_path / "backup"))
    assert backup.database_is_empty()


def test_backup_refuses_a_directory_with_files(newsroom, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old").write_text("x")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("backup", str(tmp_path / "backup"))


def test_a_backup_keeps_every_microsecond_of_a_time(newsroom):
    """Django's JSON rounds times to milliseconds: a restore would give back other times."""
    event = backup.AuditEvent.objects.order_by("pk").first()
    precise = event.at.replace(microsecond=123)
    backup.AuditEvent.objects.filter(pk=event.pk).update(at=precise)
    rows = json.loads(backup.serialized_rows())
    (row,) = [r for r in rows if r["model"] == "articles.auditevent" and r["pk"] == event.pk]
    assert row["fields"]["at"] == precise.isoformat().replace("+00:00", "Z")
