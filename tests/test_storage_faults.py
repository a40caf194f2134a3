"""A store that fails mid-change leaves no rows, reports its own error, and orphans can be collected."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Rendition
from articles.storage import PrivateFileSystemStorage
from tests.factories import png_data, png_upload


class FlakyStorage(PrivateFileSystemStorage):
    """Fails every save after the first ``saves_allowed``; deletes fail while ``deletes_fail``."""

    saves_allowed = 10**9
    deletes_fail = False
    saves = 0

    def _save(self, name, content):
        if type(self).saves >= type(self).saves_allowed:
            raise OSError("the store is full")
        type(self).saves += 1
        return super()._save(name, content)

    def delete(self, name):
        if type(self).deletes_fail:
            raise OSError("the store cannot delete either")
        return super().delete(name)


@pytest.fixture
def flaky(settings, asset_storage_in_tmp):
    FlakyStorage.saves, FlakyStorage.saves_allowed, FlakyStorage.deletes_fail = 0, 10**9, False
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {
            "BACKEND": "tests.test_storage_faults.FlakyStorage",
            "OPTIONS": {"location": asset_storage_in_tmp},
        },
    }
    return asset_storage_in_tmp


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


def two_files():
    return [("a.png", png_upload("a.png", "red")), ("b.png", png_upload("b.png", "blue"))]


def test_a_failure_after_the_first_file_leaves_no_object_and_no_row(db, flaky):
    FlakyStorage.saves_allowed = 1
    with pytest.raises(OSError, match="the store is full"):
        publishing.article_create(actor=SYSTEM, slug="s", title="S", body="", files=two_files())
    assert stored_files(flaky) == []
    assert not Article.objects.exists() and not Asset.objects.exists()


def test_the_original_error_is_reported_when_the_cleanup_fails_too(db, flaky):
    FlakyStorage.saves_allowed, FlakyStorage.deletes_fail = 1, True
    with pytest.raises(OSError, match="the store is full"):
        publishing.article_create(actor=SYSTEM, slug="s", title="S", body="", files=two_files())
    assert len(stored_files(flaky)) == 1  # the orphan gc_assets is for


def test_gc_assets_lists_then_deletes_orphans_and_nothing_else(db, flaky):
    publishing.article_create(actor=SYSTEM, slug="kept", title="K", body="", files=[two_files()[0]])
    FlakyStorage.saves_allowed, FlakyStorage.deletes_fail = FlakyStorage.saves + 1, True
    with pytest.raises(OSError):
        publishing.article_create(actor=SYSTEM, slug="s", title="S", body="", files=two_files())
    FlakyStorage.deletes_fail = False
    kept = {Asset.objects.get().file.name, *Rendition.objects.values_list("file", flat=True)}
    (orphan,) = (p for p in stored_files(flaky) if str(p.relative_to(flaky)) not in kept)
    out = io.StringIO()
    call_command("gc_assets", stdout=out)
    assert out.getvalue().splitlines() == [
        str(orphan.relative_to(flaky)),
        "1 orphaned file; run with --delete to remove them.",
    ]
    assert orphan.exists()
    call_command("gc_assets", "--delete", stdout=(out := io.StringIO()))
    assert "Deleted 1 orphaned file." in out.getvalue()
    assert not orphan.exists()
    assert {str(p.relative_to(flaky)) for p in stored_files(flaky)} == kept


def test_a_batch_import_goes_on_after_a_storage_error(db, flaky, tmp_path):
    source = tmp_path / "import"
    (source / "first").mkdir(parents=True)
    (source / "first" / "a.png").write_bytes(png_data())
    (source / "1-first.md").write_text(
        '---\ntitle: "First"\nslug: first\nassets: [first/a.png]\n---\nBody.\n'
    )
    (source / "2-second.md").write_text('---\ntitle: "Second"\nslug: second\n---\nBody.\n')
    FlakyStorage.saves_allowed = 0
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_articles", str(source), stdout=out, stderr=err)
    assert "1-first.md: assets: the asset storage failed: the store is full" in err.getvalue()
    assert list(Article.objects.values_list("slug", flat=True)) == ["second"]
