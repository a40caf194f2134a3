"""gunicorn's configuration: workers from the CPU count, and an access log with nothing secret."""

import datetime
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from cms.gunicorn_logging import AccessLogWithoutSecrets

ROOT = Path(__file__).resolve().parent.parent


def access_line(path: str, query: str = "") -> str:
    config = Config()
    config.set(
        "access_log_format", runpy.run_path(str(ROOT / "gunicorn.conf.py"))["access_log_format"]
    )
    logger = AccessLogWithoutSecrets(config)
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
    assert "/search/" in line
    assert "unreleased-model-name" not in line


def test_the_access_log_has_no_share_token():
    token = "bGluay1rZXk:Zm9yZ2VkLXNpZ25hdHVyZQ"
    line = access_line(f"/preview/{token}/assets/abc/chart.png")
    assert "/preview/…/assets/abc/chart.png" in line
    assert token not in line


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
