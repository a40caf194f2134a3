"""Staff commands that could take work off the site or lie about it now refuse, or say what they did."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, AuditEvent, Status
from tests.factories import make_article


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def article_file(directory, slug: str, status: str) -> None:
    (directory / f"{slug}.md").write_text(
        f'---\ntitle: "New words"\nslug: {slug}\nstatus: {status}\n---\nNew body.\n'
    )


@pytest.fixture
def published(db):
    return make_article("harbour-story", status=Status.PUBLISHED)


def test_importing_draft_over_a_published_article_is_refused(published, tmp_path):
    article_file(tmp_path, "harbour-story", "draft")
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command(
            "import_articles", str(tmp_path), stdout=io.StringIO(), stderr=(err := io.StringIO())
        )
    assert "would withdraw the published article" in err.getvalue()
    assert "--allow-withdraw" in err.getvalue()
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert published.revisions.count() == 1


def test_allow_withdraw_imports_and_says_what_it_withdrew(published, tmp_path):
    article_file(tmp_path, "harbour-story", "draft")
    out = run("import_articles", str(tmp_path), "--allow-withdraw")
    assert "withdrew harbour-story" in out
    published.refresh_from_db()
    assert published.status == Status.DRAFT
    assert AuditEvent.objects.filter(article=published, action=AuditEvent.Action.WITHDRAW).exists()


def test_importing_published_over_published_still_works(published, tmp_path):
    article_file(tmp_path, "harbour-story", "published")
    assert "updated harbour-story (published)" in run("import_articles", str(tmp_path))


def test_publish_of_a_withdrawn_article_points_to_republish(db):
    make_article("old-story", status=Status.WITHDRAWN)
    with pytest.raises(CommandError, match="republish old-story"):
        run("publish", "old-story")


def test_republish_puts_a_withdrawn_article_back_on_the_site(db, client):
    make_article("old-story", status=Status.WITHDRAWN)
    assert client.get("/articles/old-story/").status_code == 404
    assert "Republished old-story" in run("republish", "old-story")
    assert Article.objects.get(slug="old-story").status == Status.PUBLISHED
    assert client.get("/articles/old-story/").status_code == 200


def test_republish_refuses_an_article_that_is_not_withdrawn(published):
    with pytest.raises(CommandError, match="not withdrawn"):
        run("republish", "harbour-story")


@pytest.mark.parametrize("expires", ["99999999999999w", "9999999999d", "99999999999999999999h"])
def test_an_absurd_expiry_is_a_clear_error_not_a_traceback(published, expires):
    with pytest.raises(CommandError, match="--expires"):
        run("preview_link", "harbour-story", "--expires", expires, "--label", "Counsel")


def test_export_into_a_missing_parent_is_refused(published, tmp_path):
    target = tmp_path / "no" / "such" / "dir"
    with pytest.raises(CommandError, match=r"does not exist.*--create"):
        run("export_articles", str(target))
    assert not (tmp_path / "no").exists()


def test_export_with_create_makes_the_path(published, tmp_path):
    target = tmp_path / "no" / "such" / "dir"
    run("export_articles", str(target), "--create")
    assert (target / "harbour-story.md").exists()


def test_export_into_a_new_directory_under_an_existing_parent_needs_no_flag(published, tmp_path):
    run("export_articles", str(tmp_path / "export"))
    assert (tmp_path / "export" / "harbour-story.md").exists()
