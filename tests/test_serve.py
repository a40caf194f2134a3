"""`make serve` boots production mode: gunicorn serves the story, and Ctrl-C stops everything.

Run in a throw-away copy of the tree (its own var/, the same .venv linked in), on a free port.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOT_TIMEOUT = 180  # seconds: migrations, collectstatic and the demo on a busy two-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (http://127.0.0.1 only)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode()[-3000:]
            pytest.fail(
                f"make serve exited with {process.returncode} before serving {url}:\n{output}"
            )
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"make serve did not answer {url} within {BOOT_TIMEOUT} s")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def tree_copy(tmp_path):
    copy = tmp_path / "embargo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", ".pytest_cache"),
        symlinks=True,
    )
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def production_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBARGO_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return {**env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "WEB_CONCURRENCY": "2", **extra}


def test_make_serve_serves_the_story_through_gunicorn_and_stops_on_ctrl_c(tree_copy):
    port = free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}", "DEMO=1"],
        cwd=tree_copy,
        env=production_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pgid = os.getpgid(process.pid)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/", process)
        home_status, _, _ = fetch(f"{base}/")
        story_status, story_headers, story = fetch(f"{base}/articles/the-mythos-leak/")
        health_status, _, health = fetch(f"{base}/healthz")
        container_probe = subprocess.run(
            [sys.executable, "deploy/healthcheck.py"],
            cwd=tree_copy,
            env={**production_env(), "PORT": str(port), "DJANGO_ALLOWED_HOSTS": "localhost"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"make serve did not stop on Ctrl-C:\n{output.decode()[-3000:]}")
    log = output.decode()
    assert home_status == 200, log[-3000:]
    assert story_status == 200, log[-3000:]
    assert b"The Mythos leak" in story
    assert story_headers.get("Server") == "gunicorn"  # not runserver
    assert health_status == 200 and b'"status": "ok"' in health
    assert container_probe.returncode == 0, container_probe.stderr
    assert "Booting worker" in log, log[-3000:]  # gunicorn, not runserver
    # gunicorn loaded gunicorn.conf.py: requests are logged by route, never by path.
    assert '"GET article HTTP/1.1" 200' in log, log[-3000:]
    assert "/articles/the-mythos-leak/" not in log, log[-3000:]
    assert "Starting worker" in log, log[-3000:]  # the publication worker beside it
    deadline = time.monotonic() + 30
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_alive(pgid), "a process of make serve outlived Ctrl-C"


def test_make_serve_without_a_secret_key_says_how_to_make_one(tree_copy):
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=tree_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "needs a secret key" in result.stdout
    assert "export DJANGO_SECRET_KEY=" in result.stdout
    assert not (tree_copy / "var").exists()  # nothing half-done: no database was created
