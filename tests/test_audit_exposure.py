"""audit_exposure: clean on the demo site, and loud on each Mythos-class misconfiguration.

Which misconfigurations need a settings module of their own, and which ``override_settings`` covers:

* uploads under STATIC_ROOT (``static_root_uploads``): a separate process. Whitenoise indexes
  STATIC_ROOT and the asset storage location is read when the site starts, so only a site started
  with that module actually serves the uploads, which is the leak the audit must find by probing.
* the MEDIA_URL route (``media_route``), Django's cache middleware (``cache_middleware``) and the
  public bucket (``public_bucket``): ``override_settings`` with that module's values suffices, since
  the URL resolver, middleware chain and storages are rebuilt when those settings change.
"""

import dataclasses
import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import FileResponse
from django.test import override_settings
from django.urls import URLResolver, get_resolver

import cms.settings
from articles import access, exposure, publishing, renditions
from articles.access import SYSTEM
from articles.api import views as api_views
from articles.demo import load_demo
from articles.models import Article, Rendition, Status
from articles.web import views
from tests.factories import make_article

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def audit(*args) -> tuple[int, dict]:
    """Run the command with --json; return its exit code and report."""
    out = io.StringIO()
    try:
        call_command("audit_exposure", "--json", *args, stdout=out, stderr=io.StringIO())
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, json.loads(out.getvalue())


def misconfigured(name: str) -> override_settings:
    """override_settings with every setting the module ``tests.misconfigured.<name>`` changes."""
    module = importlib.import_module(f"tests.misconfigured.{name}")
    missing = object()
    return override_settings(
        **{
            key: getattr(module, key)
            for key in dir(module)
            if key.isupper() and getattr(cms.settings, key, missing) != getattr(module, key)
        }
    )


def errors(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] == "error"]


def leaks(report: dict) -> list[dict]:
    return [f for f in errors(report) if f["vector"] != "configuration"]


@pytest.fixture
def demo():
    load_demo()
    return Article.objects.get(slug="mythos-follow-up-audit")


# --- clean ---------------------------------------------------------------------------------------


def test_demo_site_is_clean(demo):
    code, report = audit()
    assert errors(report) == []
    assert code == 0
    assert report["objects_checked"] == 3  # the embargoed draft and its two files
    assert report["requests"] > 30


def test_table_output_has_a_summary_line(demo):
    out = io.StringIO()
    call_command("audit_exposure", stdout=out, stderr=io.StringIO())
    assert "clean: 0 error(s)" in out.getvalue()
    assert "3 non-public objects checked with" in out.getvalue()


def requests_of_an_audit() -> list[tuple[str, str, tuple]]:
    """Every request an in-process audit makes: (method, path, headers)."""
    requested = []
    fetch = exposure.InProcessFetcher()

    def recording(method, path, headers):
        requested.append((method, path, tuple(headers.items())))
        return fetch(method, path, headers)

    exposure.Auditor(recording).run()
    return requested


def test_probes_every_door_of_a_non_public_object(demo):
    """Each vector the issue names is requested for the draft and its assets."""
    requested = requests_of_an_audit()
    slug, (asset, *_) = demo.slug, demo.latest_revision.assets.all()
    asset_url = asset.get_absolute_url()
    for expected in [
        ("GET", f"/articles/{slug}/", ()),
        ("HEAD", f"/articles/{slug}/", ()),
        ("GET", f"/articles/{slug}", ()),
        ("GET", f"/articles/{slug.upper()}/", ()),
        ("GET", f"/articles/%{ord(slug[0]):02X}", None),
        ("GET", f"/articles/{slug}/?preview=1", ()),
        ("GET", f"/articles/{slug}/?format=json", ()),
        ("GET", f"/articles/{slug}/draft/", ()),
        ("GET", f"/articles/{slug}/", exposure.forged_session()),
        ("GET", f"/articles/{slug}/draft/", exposure.forged_session()),
        ("GET", asset_url, exposure.forged_session()),
        ("GET", asset_url, ()),
        ("HEAD", asset_url, ()),
        ("GET", asset_url, (("Range", "bytes=0-10"),)),
        ("GET", "/feeds/rss/", ()),
        ("GET", "/feeds/atom/", ()),
        ("GET", "/?page=2", ()),
    ]:
        method, path, headers = expected
        if headers is None:
            assert any(m == method and p.startswith(path) for m, p, _ in requested), expected
        else:
            assert expected in requested
    assert any(p.startswith("/search/?q=What+an+audit") for _, p, _ in requested)


# --- leaks found by probing ----------------------------------------------------------------------


def test_a_page_listing_a_draft_is_a_leak(demo, monkeypatch):
    """If the home page listed everything, the draft's title and URL would show up in it."""
    monkeypatch.setattr(
        views, "public_listing", lambda: Article.objects.select_related("live_revision", "author")
    )
    Article.objects.filter(pk=demo.pk).update(live_revision=demo.latest_revision)
    code, report = audit()
    assert code == 1
    home = [f for f in leaks(report) if f["url"] == "/"]
    assert {f["evidence"].split(" of ")[0] for f in home} >= {
        "contains the title",
        "contains the URL",
    }


def plant_an_unpublished_edit_leak(monkeypatch) -> Article:
    """A live article whose public URL serves its unpublished edit: the bug an audit must find."""
    article = make_article("live", status=Status.PUBLISHED, title="Public title")
    publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="Secret new headline for tomorrow",
        body="A sentence that must stay private until the edit is published.",
    )
    real = access.article_view

    def leaky(user, slug, *, working_draft=False):
        view = real(user, slug, working_draft=working_draft)
        return dataclasses.replace(view, revision_id=view.article.latest_revision_id, shown=None)

    monkeypatch.setattr(access, "article_view", leaky)
    return article


def test_an_unpublished_edit_reachable_at_the_live_url_is_a_leak(monkeypatch):
    plant_an_unpublished_edit_leak(monkeypatch)
    code, report = audit()
    assert code == 1
    assert any(
        "unpublished working draft of live" in f["object"] and f["url"] == "/articles/live/"
        for f in leaks(report)
    )


def test_the_header_order_and_cookie_oracle_is_a_leak(demo, settings):
    """A door that loads the session only for a slug that exists: hidden and missing differ."""
    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if not name.endswith("SameWorkForEveryRequestMiddleware")
    ]
    settings.ROOT_URLCONF = "tests.misconfigured.urls_header_order"
    code, report = audit()
    assert code == 1
    by_vector = {f["vector"]: f["evidence"] for f in leaks(report)}
    assert by_vector["article URL"].startswith("headers in the order ")
    assert by_vector["article URL percent-encoded"].startswith("headers in the order ")
    assert by_vector["article URL with a forged session cookie"].startswith("headers in the order")
    # The doors that still do the same work for both are not reported.
    assert "working-draft URL" not in by_vector
    assert "asset URL" not in by_vector


def test_a_forged_session_cookie_deleted_only_for_a_hidden_slug_is_a_leak(demo, settings):
    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if not name.endswith("SameWorkForEveryRequestMiddleware")
    ]
    settings.ROOT_URLCONF = "tests.misconfigured.urls_header_order"
    fetch = exposure.InProcessFetcher()
    never = fetch("GET", "/articles/never-existed/", dict(exposure.forged_session()))
    hidden = fetch("GET", f"/articles/{demo.slug}/", dict(exposure.forged_session()))
    assert exposure.shape_difference(never, never) is None
    evidence = exposure.shape_difference(hidden, never)
    assert evidence is not None
    # With the header order made equal, the cookie and the extra query still give it away.
    hidden = dataclasses.replace(hidden, header_names=never.header_names)
    assert exposure.shape_difference(hidden, never) == (
        "cookies set or deleted: sessionid deleted; for a never-existing object: none"
    )
    hidden = dataclasses.replace(hidden, cookies=never.cookies)
    assert "database queries" in exposure.shape_difference(hidden, never)


class FakeClock:
    """Time that passes only when a request is made: one second each, ``extra`` more for ``slow``."""

    def __init__(self, slow: str = "", extra: float = 0.0):
        self.now = 0.0
        self.slow, self.extra = slow, extra
        self.fetch = exposure.InProcessFetcher()

    def __call__(self) -> float:
        return self.now

    def request(self, method: str, path: str, headers: dict):
        self.now += 1.0 + (self.extra if path == self.slow else 0.0)
        return self.fetch(method, path, headers)


def timing_findings(clock: FakeClock) -> list:
    report = exposure.Auditor(clock.request, clock=clock).run()
    return [f for f in report.errors if f.vector.startswith("timing")]


def test_a_hidden_article_slower_than_a_missing_one_is_a_leak(demo):
    clock = FakeClock(slow=f"/articles/{demo.slug}/", extra=0.5)
    (finding,) = timing_findings(clock)
    assert finding.object == "article mythos-follow-up-audit (draft)"
    assert finding.vector == "timing with a forged session cookie"
    assert "median 1500.0 ms against 1000.0 ms" in finding.evidence
    assert f"above {exposure.TIMING_THRESHOLD} in two rounds" in finding.evidence


def test_timing_within_the_threshold_is_not_a_leak(demo):
    clock = FakeClock(slow=f"/articles/{demo.slug}/", extra=exposure.TIMING_THRESHOLD - 1.0)
    assert timing_findings(clock) == []


# --- the incident, reproduced --------------------------------------------------------------------


def test_uploads_under_static_root_are_reported_and_the_files_found(tmp_path):
    """A real site process with uploads inside STATIC_ROOT: whitenoise serves the draft's files."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.misconfigured.static_root_uploads",
        "EMBARGO_MISCONFIGURED_ROOT": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "EMBARGO_ENVIRONMENT": "test",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    # The site's own system checks refuse these settings; that is E001 doing its job.
    assert manage("migrate", "--skip-checks", "-v0").returncode == 0
    assert manage("load_demo", "--skip-checks").returncode == 0
    assert manage("collectstatic", "--no-input", "--skip-checks", "-v0").returncode == 0
    result = manage("audit_exposure", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    config = " ".join(f["evidence"] for f in errors(report) if f["vector"] == "configuration")
    assert "overlaps the publicly served directory" in config
    assert "Set EMBARGO_ASSET_ROOT to a directory outside STATIC_ROOT" in config
    served = [f for f in leaks(report) if f["vector"] == "storage served at /static/"]
    assert {f["object"] for f in served} == {
        "asset exposure-timeline.png of mythos-follow-up-audit",
        "asset audit-briefing.pdf of mythos-follow-up-audit",
    }
    assert all("served the bytes of" in f["evidence"] for f in served)


def test_media_url_served_by_static_is_reported_and_the_files_found(
    demo, settings, asset_storage_in_tmp
):
    sys.modules.pop("tests.misconfigured.urls_media", None)
    settings.MEDIA_ROOT = asset_storage_in_tmp
    with misconfigured("media_route"):
        code, report = audit()
    sys.modules.pop("tests.misconfigured.urls_media", None)
    assert code == 1
    config = " ".join(f["evidence"] for f in errors(report) if f["vector"] == "configuration")
    assert "serves files with django.views.static.serve" in config
    assert "Fix: Remove it" in config
    assert "DEBUG is on" in config
    served = [f for f in leaks(report) if f["vector"] == "storage served at /media/"]
    assert len(served) == 2
    assert all(f["url"].startswith("/media/") for f in served)
    # DEBUG's 404 pages echo the path; with that masked, the doors themselves still hold.
    assert not [f for f in leaks(report) if f["vector"] != "storage served at /media/"]


def test_django_cache_middleware_is_reported(demo):
    with misconfigured("cache_middleware"):
        code, report = audit()
    assert code == 1
    (finding,) = [f for f in errors(report) if "UpdateCacheMiddleware" in f["evidence"]]
    assert "caches responses by URL without knowing what is private" in finding["evidence"]
    assert (
        "Fix: Remove it; articles.web.middleware.PublicPageCacheMiddleware" in finding["evidence"]
    )


def stubbed_s3(*, policy_public: bool, acl_public: bool):
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "get_bucket_policy_status",
        {"PolicyStatus": {"IsPublic": policy_public}},
        {"Bucket": "embargo-assets"},
    )
    grants = [{"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}]
    if acl_public:
        grants.append(
            {
                "Grantee": {
                    "Type": "Group",
                    "URI": "http://acs.amazonaws.com/groups/global/AllUsers",
                },
                "Permission": "READ",
            }
        )
    stubber.add_response(
        "get_bucket_acl", {"Owner": {"ID": "owner"}, "Grants": grants}, {"Bucket": "embargo-assets"}
    )
    stubber.activate()
    return client, stubber


def test_public_bucket_policy_and_acl_are_reported(monkeypatch):
    client, stubber = stubbed_s3(policy_public=True, acl_public=True)
    monkeypatch.setattr(exposure.config, "s3_client", lambda: client)
    with misconfigured("public_bucket"):
        code, report = audit()
    stubber.assert_no_pending_responses()
    assert code == 1
    bucket = [f["evidence"] for f in errors(report) if "embargo-assets" in f["evidence"]]
    assert any("bucket policy of “embargo-assets” allows public reads" in e for e in bucket)
    assert any("grants READ to AllUsers" in e for e in bucket)
    assert all("turn on S3 Block Public Access" in e for e in bucket)


def test_private_bucket_is_not_reported(monkeypatch):
    client, stubber = stubbed_s3(policy_public=False, acl_public=False)
    monkeypatch.setattr(exposure.config, "s3_client", lambda: client)
    with misconfigured("public_bucket"):
        _code, report = audit()
    stubber.assert_no_pending_responses()
    assert not [f for f in report["findings"] if "embargo-assets" in f["evidence"]]


def test_bucket_without_a_policy_is_not_public():
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        stubber.add_client_error("get_bucket_policy_status", "NoSuchBucketPolicy")
        stubber.add_response("get_bucket_acl", {"Grants": []})
        assert exposure.bucket_findings(client, "embargo-assets") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": True}, "DEBUG is on"),
        ({"ALLOWED_HOSTS": ["*"]}, "ALLOWED_HOSTS contains “*”"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, "SECRET_KEY is short, default"),
        ({"SECRET_KEY": "short-but-random-42"}, "SECRET_KEY is short, default"),
    ],
    ids=["debug", "wildcard-host", "insecure-key", "short-key"],
)
def test_unsafe_settings_are_errors_that_say_how_to_fix_them(overrides, message):
    with override_settings(**overrides):
        code, report = audit()
    assert code == 1
    (finding,) = [f for f in errors(report) if message in f["evidence"]]
    assert "Fix: " in finding["evidence"]


# --- over HTTP -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_base_url_mode_is_clean_against_a_live_server(live_server):
    load_demo()
    # One thread: the live server shares one in-memory SQLite connection between its requests.
    code, report = audit("--base-url", live_server.url, "--workers", "1")
    assert code == 0, errors(report)
    assert report["objects_checked"] == 3


@pytest.mark.django_db(transaction=True)
def test_base_url_mode_finds_files_a_live_server_hands_out(
    live_server, settings, asset_storage_in_tmp
):
    load_demo()
    sys.modules.pop("tests.misconfigured.urls_media", None)
    settings.MEDIA_ROOT = asset_storage_in_tmp
    with misconfigured("media_route"):
        code, report = audit("--base-url", live_server.url, "--workers", "1")
    sys.modules.pop("tests.misconfigured.urls_media", None)
    assert code == 1
    assert len([f for f in leaks(report) if f["vector"] == "storage served at /media/"]) == 2


def test_workers_must_be_a_positive_number():
    with pytest.raises(
        CommandError, match="--workers: 0 is not a number of workers; give 1 or more"
    ):
        call_command("audit_exposure", "--workers", "0", stdout=io.StringIO())


def test_base_url_must_be_http():
    with pytest.raises(CommandError, match="--base-url: “ftp://x” is not an http"):
        call_command("audit_exposure", "--base-url", "ftp://x", stdout=io.StringIO())


# --- renditions and the content API --------------------------------------------------------------


def url_pattern(resolver, name: str):
    """The URL pattern called ``name``, wherever it is included."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if (found := url_pattern(entry, name)) is not None:
                return found
        elif entry.name == name:
            return entry
    return None


def test_a_served_rendition_of_a_draft_image_is_a_leak(demo, monkeypatch):
    """If the rendition door skipped the asset's access check, the draft's resized image gets out."""
    pattern = url_pattern(get_resolver(), "asset-rendition")

    def unchecked(request, token, variant, name):
        wanted = renditions.VARIANT.match(variant)
        copy = Rendition.objects.get(
            asset__token=token, width=int(wanted["width"]), format=wanted["format"]
        )
        return FileResponse(copy.file.open("rb"), content_type=copy.content_type)

    monkeypatch.setattr(pattern, "callback", unchecked)
    code, report = audit()
    assert code == 1
    served = [f for f in leaks(report) if f["vector"] == "rendition URL"]
    image = demo.latest_revision.assets.get(original_name="exposure-timeline.png")
    assert {f["url"] for f in served} == {r.get_absolute_url() for r in image.renditions.all()}
    assert all(
        f["evidence"].startswith("served the bytes of rendition ")
        and f["object"].endswith("of asset exposure-timeline.png of mythos-follow-up-audit")
        for f in served
    )
    # The original stays behind its check: only the copies are reported.
    assert not [f for f in leaks(report) if f["vector"] == "asset URL"]


def test_an_api_draft_readable_without_a_token_is_a_leak(demo, monkeypatch):
    """If the API took every request for a superuser's, the embargoed draft would be served."""
    superuser = get_user_model().objects.create_superuser("root", password="x" * 20)
    monkeypatch.setattr(api_views, "reader_of", lambda request: superuser)
    code, report = audit()
    assert code == 1
    by_vector = {f["vector"]: f for f in leaks(report) if f["object"].startswith("article ")}
    for vector in ("API article", "API working draft"):
        assert by_vector[vector]["object"] == "article mythos-follow-up-audit (draft)"
    assert by_vector["API article"]["evidence"].startswith("answered 200, not the 404")


def test_the_api_is_probed_for_every_non_public_article(demo):
    requested = requests_of_an_audit()
    for path in (f"/api/v1/articles/{demo.slug}", f"/api/v1/articles/{demo.slug}/draft"):
        assert ("GET", path, ()) in requested
    assert any(p == "/api/v1/articles" for _, p, _ in requested)
