"""gunicorn's configuration: workers from the CPU count, and an access log with nothing secret."""

import datetime
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from articles import publishing
from articles.access import SYSTEM
from cms.gunicorn_logging import AccessLogWithoutSecrets
from tests.factories import make_article, pdf_bytes

ROOT = Path(__file__).resolve().parent.parent


def gunicorn_config() -> Config:
    """gunicorn's Config with every setting of gunicorn.conf.py, as gunicorn loads the file."""
    config = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    return config


def access_line(path: str, query: str = "") -> str:
    config = gunicorn_config()
    logger = config.logger_class(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://cms.example.org{path}?{query}",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=3))
    return config.access_log_format % atoms + " " + " ".join(str(v) for v in atoms.values())


def test_the_access_log_has_no_query_string():
    line = access_line("/search/", "q=unreleased-model-name")
    assert '"GET search HTTP/1.1"' in line
    assert "unreleased-model-name" not in line


def test_the_access_log_has_no_share_token():
    token = "bGluay1rZXk:Zm9yZ2VkLXNpZ25hdHVyZQ"
    line = access_line(f"/preview/{token}/assets/abc/chart.png")
    assert '"GET preview-asset HTTP/1.1"' in line
    assert token not in line


def test_gunicorn_loads_the_redacting_logger_from_the_config():
    assert gunicorn_config().logger_class is AccessLogWithoutSecrets


@pytest.mark.django_db
def test_the_access_log_names_each_door_by_route_never_by_its_path():
    """Slugs, asset and share tokens and file names never reach the access log, for any door."""
    article = make_article(
        "mythos-follow-up-audit", tags=["zentrix-merger"], files=(pdf_bytes("q3-layoffs.pdf"),)
    )
    asset = article.latest_revision.assets.get()
    _, share = publishing.preview_link_issue(actor=SYSTEM, article=article, label="Legal")
    secrets = [article.slug, asset.token, "q3-layoffs", share, "zentrix-merger"]
    doors = {
        f"/articles/{article.slug}/": "article",
        f"/articles/{article.slug}/draft/": "article-draft",
        f"/assets/{asset.token}/{asset.download_name}": "asset",
        f"/preview/{share}/": "preview",
        f"/preview/{share}/assets/{asset.token}/{asset.download_name}": "preview-asset",
        "/tags/zentrix-merger/": "tag",
        f"/admin/articles/article/{article.pk}/change/": "admin:articles_article_change",
        f"/{article.slug}": "unrouted",
        "/search/": "search",
    }
    for path, route in doors.items():
        line = access_line(path, "q=zentrix-merger")
        assert line.startswith(f'127.0.0.1 "GET {route} HTTP/1.1" 200 10 "-"'), line
        assert [secret for secret in secrets if secret in line] == [], line


def test_the_access_log_has_no_duration():
    """A per-request time beside each 404 would be a timing side channel on hidden objects."""
    line = access_line("/articles/some-slug/")
    assert "3ms" not in line and "3000" not in line and "0.003" not in line


def workers_with(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    if value is not None:
        env["WEB_CONCURRENCY"] = value
    code = "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def test_workers_default_to_twice_the_cpus_plus_one():
    assert workers_with(None).stdout.strip() == str(2 * (os.cpu_count() or 1) + 1)


def test_web_concurrency_sets_the_workers():
    assert workers_with("3").stdout.strip() == "3"


def test_a_bad_web_concurrency_is_refused_with_its_name():
    result = workers_with("lots")
    assert result.returncode != 0
    assert "WEB_CONCURRENCY='lots' is not a number of processes" in result.stderr


@pytest.mark.parametrize(
    ("booted", "alive", "own_pid", "leaves_at_once"),
    [
        (True, False, True, True),  # max_requests reached or shut down: as asked
        (True, True, True, False),  # an exception ended its loop: the exit status says so
        (False, False, True, False),  # never booted: the arbiter must see the boot error
        (True, False, False, False),  # the arbiter, tidying up after a worker already gone
    ],
)
def test_only_a_worker_that_ends_as_asked_skips_pythons_finalisation(
    monkeypatch, booted, alive, own_pid, leaves_at_once
):
    """Tearing down a fork of Django took seconds, and its replacement waits for it to go."""
    exits = []
    monkeypatch.setattr(os, "_exit", exits.append)
    worker_exit = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["worker_exit"]
    pid = os.getpid() if own_pid else os.getpid() + 1
    worker_exit(None, SimpleNamespace(pid=pid, booted=booted, alive=alive))
    assert exits == ([0] if leaves_at_once else [])
