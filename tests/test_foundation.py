"""Issue 2: settings fail clearly, Markdown is sanitised, the demo loads once, the home page is lean."""

import io
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.demo import load_demo
from articles.models import Article, Status
from articles.publishing.rendering import render_markdown, sanitise_html
from tests.factories import make_article, png_upload
from tests.response_shape import assert_same_shape

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with ``env``, as start-up would."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMBARGO_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "cms.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_debug_value_stops_start_up_naming_the_variable():
    result = start_django(DJANGO_DEBUG="maybe", EMBARGO_ENVIRONMENT="development")
    assert result.returncode != 0
    assert 'Environment variable "DJANGO_DEBUG" invalid' in result.stderr
    assert "Fix or unset DJANGO_DEBUG" in result.stderr


def test_production_without_a_secret_key_stops_start_up_saying_what_to_set():
    result = start_django()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    assert (
        start_django(DJANGO_SECRET_KEY="production-key-" + "0123456789abcdef" * 3).returncode == 0
    )


def test_an_unknown_storage_stops_start_up():
    result = start_django(EMBARGO_ENVIRONMENT="development", EMBARGO_STORAGE="ftp")
    assert "EMBARGO_STORAGE='ftp' is not a storage Embargo knows" in result.stderr


def test_a_bad_database_url_stops_start_up():
    result = start_django(EMBARGO_ENVIRONMENT="development", DATABASE_URL="nonsense")
    assert 'Environment variable "DATABASE_URL" invalid' in result.stderr


@pytest.mark.parametrize(
    "markdown",
    [
        "Hello <script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        '<form action="/admin/"><input name="x"></form>',
        "![x](javascript:alert(1))",
    ],
)
def test_markdown_output_has_no_active_content(markdown):
    assert_inert(render_markdown(markdown).html)


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script><p>x</p>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="data:text/html,x">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<form action="/"><button>go</button></form>',
        '<p style="background:url(x)" onclick="x()">x</p>',
    ],
)
def test_sanitiser_strips_from_html(html):
    """The second layer: even HTML a Markdown extension let through comes out inert."""
    assert_inert(sanitise_html(html))


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    collector = _TagCollector()
    collector.feed(html)
    for tag, attributes in collector.tags:
        assert tag not in {"script", "iframe", "form", "input", "button", "object", "embed"}
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        for name in ("href", "src"):
            value = (attributes.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:"))


def test_raw_html_in_markdown_is_shown_as_text_not_markup():
    html = render_markdown("<b onclick=x>bold</b>").html
    assert "<b" not in html
    assert "&lt;b" in html


def test_tables_and_heading_anchors_render():
    html = render_markdown(
        "## Timeline\n\n| When | What was reported |\n|---|---|\n| 27 March | Drafts found |"
    ).html
    assert '<h2 id="timeline">' in html
    assert "<table>" in html and "<td>27 March</td>" in html


def test_a_reference_to_a_file_that_is_not_attached_names_it():
    with pytest.raises(ValidationError, match=r"“missing\.png” is referenced in the body"):
        render_markdown("![x](missing.png)")


def test_a_reference_to_another_articles_asset_is_refused(db):
    other = make_article("with-image", files=(png_upload(),), body="![x](hero.png)")
    token = other.assets.get().token
    with pytest.raises(ValidationError, match="not attached to this article"):
        render_markdown(f"![x](/assets/{token}/hero.png)")


def test_load_demo_is_idempotent(db):
    load_demo()
    snapshot = {
        a.slug: (a.status, a.version, a.latest_revision_id, a.assets.count())
        for a in Article.objects.all()
    }
    load_demo()
    call_command("load_demo", stdout=io.StringIO())
    assert {
        a.slug: (a.status, a.version, a.latest_revision_id, a.assets.count())
        for a in Article.objects.all()
    } == snapshot
    assert Article.objects.get(slug="the-mythos-leak").status == Status.PUBLISHED
    assert Article.objects.get(slug="mythos-follow-up-audit").status == Status.DRAFT


def test_the_demo_story_is_served_with_its_table_and_linked_from_home(client, db):
    load_demo()
    home = client.get("/").content.decode()
    assert 'href="/articles/the-mythos-leak/"' in home
    assert "mythos-follow-up-audit" not in home
    page = client.get("/articles/the-mythos-leak/").content.decode()
    assert "<table>" in page and "Claude Mythos" in page
    assert client.get("/articles/mythos-follow-up-audit/").status_code == 404


def test_home_lists_only_published_articles_newest_first(client, db):
    make_article("older", status=Status.PUBLISHED, title="Older story")
    make_article("newer", status=Status.PUBLISHED, title="Newer story")
    for status in (Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.WITHDRAWN):
        make_article(f"hidden-{status.replace('_', '-')}", status=status, title=f"Hidden {status}")
    page = client.get("/").content.decode()
    assert page.index("Newer story") < page.index("Older story")
    assert "Hidden" not in page


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "99999999999999999999"])
def test_home_pages_out_of_range_are_the_404(client, db, page):
    make_article("only", status=Status.PUBLISHED)
    response = client.get(f"/?page={page}")
    assert response.status_code == 404
    assert_same_shape(response, client.get("/articles/never-existed/"))


def test_home_runs_the_same_number_of_queries_for_1_and_50_articles(client, db):
    def count_queries() -> int:
        cache.clear()  # the page cache would answer the second request with no query at all
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    make_article("first", status=Status.PUBLISHED)
    one = count_queries()
    for n in range(49):
        make_article(f"story-{n}", status=Status.PUBLISHED)
    assert Article.objects.published().count() == 50
    assert count_queries() == one


def test_error_pages_reveal_nothing_about_the_request(client, db):
    first = client.get("/articles/secret-plan/")
    second = client.get("/nothing/here/at/all/?q=secret-plan")
    assert first.content == second.content
    assert b"secret-plan" not in first.content
