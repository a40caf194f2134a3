"""The Exposure page (articles/admin/exposure.py) and the recorded audits it shows.

``COVERED_ROUTES`` names the Exposure pages whose leak tests live here; test_leaks.py's route walk
fails for any ``admin:articles_exposurerun_*`` route missing from it.
"""

import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.access import SYSTEM
from articles.exposure import ERROR, WARNING, Finding, Report
from articles.exposure.records import exposure_run_record
from articles.models import (
    Article,
    AuditEvent,
    Classification,
    ExposureFinding,
    ExposureRun,
    PreviewLink,
)
from articles.publishing import tasks
from articles.roles import AUDITORS, ROLE_DESCRIPTIONS
from tests.factories import make_article, make_user, png_upload, staff
from tests.response_shape import assert_same_shape
from tests.test_audit_exposure import plant_an_unpublished_edit_leak

pytestmark = pytest.mark.django_db

DAILY_TASK = "articles.publishing.tasks.audit_exposure_daily"
COVERED_ROUTES = {
    "admin:articles_exposurerun_changelist",
    "admin:articles_exposurerun_revoke_grant",
    "admin:articles_exposurerun_revoke_link",
}


@pytest.fixture
def auditor() -> User:
    return staff("audrey", AUDITORS)


@pytest.fixture
def draft():
    return make_article("quiet-merger", title="Quiet merger", files=(png_upload("plan.png"),))


@pytest.fixture
def idle_reader(draft) -> User:
    """Holds view on the draft and last signed in 100 days ago."""
    reader = make_user("ingrid")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    User.objects.filter(pk=reader.pk).update(last_login=timezone.now() - timedelta(days=100))
    return reader


@pytest.fixture
def link(draft) -> PreviewLink:
    link, _token = publishing.preview_link_issue(
        actor=SYSTEM, article=draft, label="Legal review", ttl=timedelta(hours=2)
    )
    return link


def dashboard_url() -> str:
    return reverse("admin:articles_exposurerun_changelist")


def grant_url(draft, reader, perm="view") -> str:
    return reverse("admin:articles_exposurerun_revoke_grant", args=[draft.pk, reader.pk, perm])


def link_url(link) -> str:
    return reverse("admin:articles_exposurerun_revoke_link", args=[link.pk])


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def report_with(*findings: Finding) -> Report:
    return Report(findings=list(findings), objects=4, requests=50)


def record(report: Report, *, started_at=None) -> ExposureRun:
    started_at = started_at or timezone.now()
    return exposure_run_record(
        report=report,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=3),
        source=ExposureRun.Source.COMMAND,
        probed={"Probing non-public objects": 40},
    )


# --- recording ----------------------------------------------------------------------------------


def audit(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_exposure", "--json", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def planted_leak(monkeypatch):
    """A live article whose public URL serves its unpublished edit."""
    return plant_an_unpublished_edit_leak(monkeypatch)


def test_a_recorded_leak_is_on_the_dashboard_for_an_auditor(planted_leak, auditor):
    code, out, err = audit("--record")
    assert code == 1  # the exit status is the audit's, recording or not
    report = json.loads(out)  # and stdout is still one JSON document
    run = ExposureRun.objects.get()
    assert f"Recorded as exposure run #{run.pk}." in err
    assert not run.passed
    assert run.errors == report["errors"] and run.requests == report["requests"]
    assert run.probed["Probing non-public objects"] > 0
    leak = run.findings.filter(door="/articles/live/", severity=ERROR).first()
    assert "unpublished working draft of live" in leak.subject
    assert leak.kind == "public article page" and "contains the" in leak.detail

    page = as_user(auditor).get(dashboard_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Failed" in text
    assert leak.subject in text and leak.kind in text and "/articles/live/" in text


def test_without_record_nothing_is_stored(planted_leak):
    code, out, _err = audit()
    assert code == 1
    assert json.loads(out)["errors"] >= 1
    assert not ExposureRun.objects.exists()


def test_a_run_is_recorded_whole_or_not_at_all(monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError("the database went away mid-write")

    monkeypatch.setattr(ExposureFinding.objects, "bulk_create", failing)
    with pytest.raises(RuntimeError):
        record(report_with(Finding(ERROR, "draft “x”", "/articles/x/", "article URL", "differs")))
    assert not ExposureRun.objects.exists()


# --- the page -----------------------------------------------------------------------------------


def test_the_chart_has_a_point_and_a_table_row_per_recorded_run(auditor):
    now = timezone.now()
    runs = [
        record(
            report_with(*[Finding(ERROR, "s", "/", "k", "d")] * errors),
            started_at=now - timedelta(days=3 - day),
        )
        for day, errors in enumerate((0, 2, 1))
    ]
    text = as_user(auditor).get(dashboard_url()).content.decode()
    start = text.index('<svg class="findings-chart"')
    svg = text[start : text.index("</svg>", start)]
    assert '<title id="trend-title">' in svg and '<desc id="trend-desc">' in svg
    for run, errors in zip(runs, (0, 2, 1), strict=True):
        assert f"Run #{run.pk}, " in svg
        assert re.search(rf"Run #{run.pk}, [^<]*: {errors} error\(s\)", svg)
        assert re.search(rf"<td>#{run.pk}</td><td>.*?</td><td>{errors}</td><td>0</td>", text)
    assert len(re.findall(r'<circle class="errors"', svg)) == 3
    # The highest count is at the top: the run with two errors is drawn highest (smallest y).
    heights = [float(y) for y in re.findall(r'class="errors" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert heights.index(min(heights)) == 1


def test_the_page_names_the_last_runs_findings_with_kind_door_and_detail(auditor):
    record(report_with(Finding(WARNING, "settings", "", "configuration", "DEBUG is on. Fix: …")))
    text = as_user(auditor).get(dashboard_url()).content.decode()
    assert "Passed" in text and "DEBUG is on." in text and "configuration" in text


def test_share_links_and_files_are_grouped_by_expiry(auditor, draft, link):
    expired, _token = publishing.preview_link_issue(
        actor=SYSTEM, article=draft, label="Old reviewer", ttl=timedelta(hours=1)
    )
    PreviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    other = make_article("lonely-draft", files=(png_upload("alone.png", "blue"),))
    text = as_user(auditor).get(dashboard_url()).content.decode()
    links = text[text.index('id="links-heading"') : text.index('id="assets-heading"')]
    assert links.index("Expired, not revoked · Standard (1)") < links.index("Old reviewer")
    assert links.index("Ends within 24 hours · Standard (1)") < links.index("Legal review")
    assert links.index("Old reviewer") < links.index("Ends within 24 hours")
    files = text[text.index('id="assets-heading"') : text.index('id="stale-heading"')]
    assert files.index("Ends within 24 hours · Standard (1)") < files.index("plan.png")
    assert files.index("No end: reached by no share link · Standard (1)") < files.index("alone.png")
    assert other.slug in files


def test_within_an_expiry_restricted_work_comes_first(auditor, draft, link):
    sealed = make_article("sealed-plan", files=(png_upload("sealed.png", "red"),))
    Article.objects.filter(pk=sealed.pk).update(classification=Classification.RESTRICTED)
    text = as_user(auditor).get(dashboard_url()).content.decode()
    files = text[text.index('id="assets-heading"') : text.index('id="stale-heading"')]
    restricted = files.index("No end: reached by no share link · Restricted (1)")
    assert restricted < files.index("sealed.png")
    standard = files.find("No end: reached by no share link · Standard")
    assert standard == -1 or restricted < standard


def test_stale_grants_and_the_next_seven_days_are_listed(auditor, draft, idle_reader):
    recent = make_user("rita")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=recent)
    User.objects.filter(pk=recent.pk).update(last_login=timezone.now() - timedelta(days=2))
    publishing.article_schedule(
        actor=SYSTEM, article=draft, publish_at=timezone.now() + timedelta(days=3)
    )
    text = as_user(auditor).get(dashboard_url()).content.decode()
    stale = text[text.index('id="stale-heading"') : text.index('id="upcoming-heading"')]
    assert "ingrid" in stale and grant_url(draft, idle_reader) in stale
    assert "rita" not in stale
    upcoming = text[text.index('id="upcoming-heading"') :]
    assert draft.slug in upcoming and "publishes" in upcoming


def test_a_superuser_reads_the_page_and_the_admin_index_links_it(auditor):
    root = staff("root", superuser=True)
    assert as_user(root).get(dashboard_url()).status_code == 200
    assert dashboard_url() in as_user(auditor).get(reverse("admin:index")).content.decode()


def test_the_auditors_role_is_described_in_plain_words():
    assert Group.objects.filter(name=AUDITORS).exists()
    assert "Exposure page" in ROLE_DESCRIPTIONS[AUDITORS]


# --- nobody else can tell it exists ------------------------------------------------------------

NEVER = "/admin/articles/never-existed/"


@pytest.fixture(params=["anonymous", "non-staff", "author", "editor"])
def stranger(request) -> User | None:
    return {
        "anonymous": lambda: None,
        "non-staff": lambda: make_user("nora"),
        "author": lambda: staff("alice", "Authors"),
        "editor": lambda: staff("eddie", "Editors"),
    }[request.param]()


@pytest.mark.parametrize("method", ["get", "post", "head"])
@pytest.mark.parametrize("page", ["dashboard", "grant", "link", "dashboard without slash"])
def test_without_the_role_every_exposure_url_is_an_unknown_admin_url(
    stranger, method, page, draft, idle_reader, link
):
    """An author or editor without the role, a non-staff user and an outsider: same answer."""
    record(report_with(Finding(ERROR, "draft “x”", "/articles/x/", "article URL", "differs")))
    path = {
        "dashboard": dashboard_url(),
        "grant": grant_url(draft, idle_reader),
        "link": link_url(link),
        "dashboard without slash": dashboard_url().rstrip("/"),
    }[page]
    never = NEVER if path.endswith("/") else NEVER.rstrip("/")
    client = as_user(stranger)
    answered = getattr(client, method)(path)
    reference = getattr(client, method)(never)
    # A redirect to the login page names the page asked for, so each side masks its own path.
    encoded = [(path.replace("/", "%2F"), never.replace("/", "%2F")), (path, never)]
    assert_same_shape(answered, reference, asked=encoded)
    assert answered.status_code in (302, 404)
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None
    assert idle_reader.has_perm("articles.view_article", draft)


@pytest.mark.parametrize("role", ["Authors", "Editors"])
def test_without_the_role_the_page_is_the_same_database_work_as_an_unknown_url(role):
    client = as_user(staff("eddie", role))

    def queries(path: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        # The statements, without their literals (the session expiry check says "now"; on
        # PostgreSQL the prepared session lookup is logged with its parameters beside it).
        literal = r"'[^']*'|datetime\.datetime\([^)]*\)"
        return [re.sub(literal, "?", query["sql"]) for query in captured.captured_queries]

    assert queries(dashboard_url()) == queries(NEVER)


def test_the_admin_index_does_not_mention_the_page_without_the_role():
    editor = staff("eddie", "Editors")
    text = as_user(editor).get(reverse("admin:index")).content.decode()
    assert "exposure" not in text.lower()


# --- one-click revokes ---------------------------------------------------------------------------


def test_revoking_a_stale_grant_asks_first_then_revokes_and_is_audited(auditor, draft, idle_reader):
    client = as_user(auditor)
    confirm = client.get(grant_url(draft, idle_reader))
    assert confirm.status_code == 200
    assert "Take “view” on “quiet-merger” away from ingrid?" in confirm.content.decode()
    assert User.objects.get(pk=idle_reader.pk).has_perm("articles.view_article", draft)

    done = client.post(grant_url(draft, idle_reader))
    assert done.status_code == 302 and done["Location"] == dashboard_url()
    assert not User.objects.get(pk=idle_reader.pk).has_perm("articles.view_article", draft)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE).latest("at")
    assert (event.actor, event.article_id) == (auditor, draft.pk)
    # Gone from the list, so its revoke is now the 404 of anything unknown.
    assert client.get(grant_url(draft, idle_reader)).status_code == 404


def test_revoking_a_share_link_asks_first_then_revokes_and_is_audited(auditor, link):
    client = as_user(auditor)
    confirm = client.get(link_url(link))
    assert confirm.status_code == 200
    assert "Revoke the share link for “Legal review”" in confirm.content.decode()
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is None

    client.post(link_url(link))
    assert PreviewLink.objects.get(pk=link.pk).revoked_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.PREVIEW_REVOKE)
    assert (event.actor, event.preview_link_id) == (auditor, link.pk)


def test_a_recent_grant_is_not_offered_for_revocation(auditor, draft):
    reader = make_user("rita")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    User.objects.filter(pk=reader.pk).update(last_login=timezone.now())
    response = as_user(auditor).post(grant_url(draft, reader))
    assert response.status_code == 404
    assert reader.has_perm("articles.view_article", draft)


def test_a_reader_of_the_page_without_share_is_refused_with_a_message(draft, idle_reader):
    """The revoke is the sharing service's: without ``share`` on the article it changes nothing."""
    watcher = make_user("walter", perms=("view_exposurerun", "view_article"))
    User.objects.filter(pk=watcher.pk).update(is_staff=True)
    client = as_user(watcher)
    response = client.post(grant_url(draft, idle_reader), follow=True)
    assert "You do not have permission to manage access to “quiet-merger”." in (
        response.content.decode()
    )
    assert User.objects.get(pk=idle_reader.pk).has_perm("articles.view_article", draft)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE).exists()


# --- the daily run ------------------------------------------------------------------------------


def queued_audits() -> int:
    return DBTaskResult.objects.filter(task_path=DAILY_TASK, status="READY").count()


def test_the_daily_audit_is_enqueued_when_the_last_run_is_over_a_day_old():
    record(report_with(), started_at=timezone.now() - timedelta(hours=25))
    assert tasks.enqueue_daily_audit_if_due() is True
    assert queued_audits() == 1


def test_the_daily_audit_is_not_enqueued_after_a_recent_run():
    record(report_with(), started_at=timezone.now() - timedelta(hours=23))
    assert tasks.enqueue_daily_audit_if_due() is False
    assert queued_audits() == 0


def test_the_daily_audit_is_not_enqueued_twice_while_one_waits():
    assert tasks.enqueue_daily_audit_if_due() is True  # never recorded: due
    assert tasks.enqueue_daily_audit_if_due() is False
    assert queued_audits() == 1


def test_the_publish_job_enqueues_the_daily_audit():
    call_command("publish_scheduled", stdout=io.StringIO())
    assert queued_audits() == 1


def test_the_publication_task_enqueues_the_daily_audit():
    tasks.publish_due.call()
    assert queued_audits() == 1


def test_the_daily_task_records_a_run():
    result = tasks.audit_exposure_daily.call()
    run = ExposureRun.objects.get()
    assert result == {"run": run.pk, "errors": run.errors, "warnings": run.warnings}
    assert run.source == ExposureRun.Source.DAILY


def test_the_page_costs_the_same_queries_for_one_item_as_for_three(auditor):
    """No list on the page asks the database once per row."""

    def queries_with(count: int) -> int:
        for n in range(count):
            article = make_article(f"draft-{count}-{n}", files=(png_upload(f"f{n}.png"),))
            publishing.preview_link_issue(actor=SYSTEM, article=article, label=f"Reviewer {n}")
            reader = make_user(f"idle-{count}-{n}")
            publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
            User.objects.filter(pk=reader.pk).update(last_login=timezone.now() - timedelta(days=99))
            record(report_with(Finding(ERROR, f"s{n}", "/", "k", "d")))
        client = as_user(auditor)
        client.get(dashboard_url())  # the session and permission caches warm up alike
        with CaptureQueriesContext(connection) as queries:
            assert client.get(dashboard_url()).status_code == 200
        ExposureRun.objects.all().delete()
        return len(queries)

    assert queries_with(1) == queries_with(3)
