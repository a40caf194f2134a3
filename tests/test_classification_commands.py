"""Classification and two-person publish through the commands: the same rules as the services."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Classification, PreviewLink, Status
from articles.publishing import classification
from tests.factories import make_user
from tests.test_audit_exposure import audit
from tests.test_commands import run
from tests.test_import_export import article_md, run_failing_import, run_import, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft() -> Article:
    return publishing.article_create(actor=SYSTEM, slug="merger-plan", title="Merger plan")


def classification_of(article: Article) -> str:
    return Article.objects.get(pk=article.pk).classification


# --- classify -------------------------------------------------------------------------------------


def test_classify_raises_at_once(draft, ada):
    out = run("classify", "merger-plan", "confidential", "--user", "ada")
    assert "merger-plan: classification standard → confidential." in out
    assert classification_of(draft) == Classification.CONFIDENTIAL


def test_classify_lowering_asks_and_a_second_publisher_approves(restricted, ada, bob):
    asked = run("classify", "merger-plan", "standard", "--user", "ada")
    assert "another publisher approves it" in asked
    assert classification_of(restricted) == Classification.RESTRICTED
    with pytest.raises(CommandError, match="second publisher must give it"):
        run("classify", "merger-plan", "--approve", "--user", "ada")
    done = run("classify", "merger-plan", "--approve", "--user", "bob")
    assert "restricted → standard, asked by ada, approved by bob" in done
    assert classification_of(restricted) == Classification.STANDARD


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["merger-plan", "secret", "--user", "ada"], "standard, confidential, restricted"),
        (["merger-plan", "restricted", "--user", "nobody"], "--user: there is no user “nobody”"),
        (["merger-plan", "--user", "ada"], "Give either LEVEL or --approve"),
        (["merger-plan", "--approve", "--user", "ada"], "no lowering of its classification"),
        (["no-such", "restricted", "--user", "ada"], "there is no article “no-such”"),
    ],
)
def test_classify_refuses_bad_input_clearly(draft, ada, args, message):
    with pytest.raises(CommandError, match=message):
        run("classify", *args)
    assert classification_of(draft) == Classification.STANDARD


def test_classify_refuses_someone_without_publish(draft):
    make_user("eddie", groups=("Editors",))
    with pytest.raises(CommandError, match="Only a publisher"):
        run("classify", "merger-plan", "restricted", "--user", "eddie")


# --- approve_publication and publish --------------------------------------------------------------


def test_publish_refuses_a_restricted_article_without_approval(restricted):
    with pytest.raises(CommandError, match="second publisher's approval"):
        run("publish", "merger-plan")
    at = (timezone.now() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="second publisher's approval"):
        run("publish", "merger-plan", "--at", at)
    assert Article.objects.get(pk=restricted.pk).status == Status.DRAFT


def test_two_people_on_the_command_line_publish_a_restricted_article(restricted, ada, bob):
    run("approve_publication", "merger-plan", "--request", "--user", "ada")
    with pytest.raises(CommandError, match="second publisher must give it"):
        run("approve_publication", "merger-plan", "--user", "ada")
    out = run("approve_publication", "merger-plan", "--user", "bob")
    assert "revision 1 approved by bob (asked by ada)" in out
    run("publish", "merger-plan")
    published = Article.objects.get(pk=restricted.pk)
    assert published.status == Status.PUBLISHED
    event = published.audit_events.get(action=AuditEvent.Action.PUBLISH)
    assert (event.detail["requested_by"], event.detail["approved_by"]) == ("ada", "bob")


def test_republish_of_a_restricted_article_needs_a_fresh_approval(restricted, ada, bob):
    """The approval that published it was used up; the withdrawal stays whole when refused."""
    run("approve_publication", "merger-plan", "--request", "--user", "ada")
    run("approve_publication", "merger-plan", "--user", "bob")
    run("publish", "merger-plan")
    run("withdraw", "merger-plan")
    with pytest.raises(CommandError, match="second publisher's approval"):
        run("republish", "merger-plan")
    assert Article.objects.get(pk=restricted.pk).status == Status.WITHDRAWN
    run("approve_publication", "merger-plan", "--request", "--user", "bob")
    run("approve_publication", "merger-plan", "--user", "ada")
    run("republish", "merger-plan")
    assert Article.objects.get(pk=restricted.pk).status == Status.PUBLISHED


def test_the_last_editor_cannot_approve_on_the_command_line(restricted, ada):
    carl = make_user("carl", groups=("Publishers", "Editors"))
    publishing.article_update(actor=carl, article=restricted, title="Carl's edit")
    run("approve_publication", "merger-plan", "--request", "--user", "ada")
    with pytest.raises(CommandError, match="last editor"):
        run("approve_publication", "merger-plan", "--user", "carl")


def test_approve_publication_without_a_request_says_how_to_ask(restricted, ada):
    with pytest.raises(CommandError, match="ask with --request"):
        run("approve_publication", "merger-plan", "--user", "ada")


def test_publish_scheduled_holds_back_an_unapproved_restricted_article(draft, ada):
    when = timezone.now() + timedelta(seconds=1)
    publishing.article_schedule(actor=ada, article=draft, publish_at=when)
    classification.article_classify(actor=ada, article=draft, classification="restricted")
    Article.objects.filter(pk=draft.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert "published" not in run("publish_scheduled")
    assert Article.objects.get(pk=draft.pk).status == Status.SCHEDULED
    assert draft.audit_events.filter(action=AuditEvent.Action.PUBLICATION_HELD).exists()


# --- preview_link ---------------------------------------------------------------------------------


def test_preview_link_refuses_a_restricted_article(restricted):
    with pytest.raises(CommandError, match="cannot be shared by link"):
        run("preview_link", "merger-plan", "--label", "Legal")
    assert not PreviewLink.objects.exists()


def test_preview_link_caps_a_confidential_article_at_72_hours(draft, ada):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    with pytest.raises(CommandError, match="at most 72 hours"):
        run("preview_link", "merger-plan", "--label", "Legal", "--expires", "4d")
    run("preview_link", "merger-plan", "--label", "Legal", "--expires", "72h")
    assert PreviewLink.objects.count() == 1


def test_who_can_see_shows_the_classification(restricted):
    assert run("who_can_see", "merger-plan").startswith("merger-plan [restricted]: not public")


# --- import and export ----------------------------------------------------------------------------


def test_export_writes_the_classification_and_import_reads_it(tmp_path, restricted):
    call_command("export_articles", str(tmp_path), stdout=io.StringIO())
    assert "classification: restricted" in (tmp_path / "merger-plan.md").read_text()
    text = (tmp_path / "merger-plan.md").read_text().replace("merger-plan", "copy-of-plan")
    (tmp_path / "merger-plan.md").unlink()
    write(tmp_path, "copy-of-plan.md", text)
    out, _ = run_import(tmp_path)
    assert "created copy-of-plan (draft) [restricted]" in out
    assert Article.objects.get(slug="copy-of-plan").classification == Classification.RESTRICTED


def test_import_defaults_to_standard(tmp_path):
    write(tmp_path, "plain.md", article_md("plain"))
    run_import(tmp_path)
    assert Article.objects.get(slug="plain").classification == Classification.STANDARD


def test_import_refuses_an_unknown_classification(tmp_path):
    write(tmp_path, "odd.md", article_md("odd", extra="classification: secret\n"))
    err = run_failing_import(tmp_path)
    assert "odd.md: classification: “secret” is not a classification" in err
    assert not Article.objects.filter(slug="odd").exists()


def test_import_refuses_to_publish_a_restricted_article(tmp_path):
    write(
        tmp_path,
        "hot.md",
        article_md("hot", extra="classification: restricted\nstatus: published\n"),
    )
    err = run_failing_import(tmp_path)
    assert "hot.md: status: “hot” is restricted: an import cannot publish it" in err
    assert not Article.objects.filter(slug="hot").exists()


def test_import_refuses_to_publish_an_existing_restricted_article(tmp_path, restricted):
    write(tmp_path, "plan.md", article_md("merger-plan", extra="status: published\n"))
    err = run_failing_import(tmp_path)
    assert "an import cannot publish it" in err
    assert restricted.revisions.count() == 1
    assert Article.objects.get(pk=restricted.pk).status == Status.DRAFT


def test_import_refuses_to_lower_a_classification(tmp_path, restricted):
    write(
        tmp_path,
        "plan.md",
        article_md("merger-plan", extra="classification: standard\n", body="Changed."),
    )
    err = run_failing_import(tmp_path)
    assert "would lower “merger-plan” from restricted to standard" in err
    assert restricted.revisions.count() == 1
    assert classification_of(restricted) == Classification.RESTRICTED


def test_audit_exposure_warns_about_a_confidential_article_with_too_many_links(
    draft, ada, settings
):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    for label in ("one", "two"):
        publishing.preview_link_issue(actor=SYSTEM, article=draft, label=label)
    settings.EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS = 1
    _code, report = audit()
    (finding,) = [f for f in report["findings"] if f["vector"] == "share links"]
    assert finding["object"] == "article merger-plan [confidential]"
    assert "EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS (1)" in finding["evidence"]
