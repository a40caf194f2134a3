"""The README's first command, run as a newcomer runs it: ``make run`` must serve the Mythos story.

The suite once stayed green while ``make run`` crashed at start-up, because no test started the
project with the environment the Makefile gives it. This one does, in a throw-away copy of the tree
(its own ``var/``, so a fresh SQLite database and secret key), on a free port, and stops the whole
process group by its id.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
# Variables that would point the copy at another database, cache or mode than a newcomer has.
FOREIGN_VARIABLES = ("EMBARGO_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "TEST_", "PYTEST_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback http only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def fresh_copy(destination: Path) -> Path:
    """The working tree without its state, sharing the installed virtualenv."""
    shutil.copytree(
        ROOT,
        destination,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "__pycache__", ".*_cache", "*.egg-info"
        ),
    )
    (destination / ".venv").symlink_to(VENV)
    return destination


def newcomer_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_VARIABLES)}


def wait_until_served(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the command exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"nothing answered at {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def serve(command: list[str], tree: Path, port: int, log: Path) -> Iterator[str]:
    """Run ``command`` in ``tree`` until the site answers; stop its whole process group afterwards."""
    installed = VENV / ".installed"
    if (
        not installed.exists()
        or installed.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime
    ):
        pytest.fail("the virtualenv is not installed for this pyproject.toml: run `make install`")
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=tree,
            env=newcomer_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(process, base_url + "/", log, timeout=180)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def make_run(tmp_path_factory) -> Iterator[str]:
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    tree = fresh_copy(tmp_path_factory.mktemp("newcomer") / "embargo")
    port = free_port()
    log = tree.parent / "make-run.log"
    yield from serve(["make", "run", f"PORT={port}"], tree, port, log)


def test_make_run_serves_the_home_page_with_the_story(make_run):
    status, body = fetch(make_run + "/")
    assert status == 200
    assert "/articles/the-mythos-leak/" in body


def test_make_run_serves_the_mythos_story(make_run):
    status, body = fetch(make_run + "/articles/the-mythos-leak/")
    assert status == 200
    assert "Mythos" in body
    # The story's absolute links follow the port make run chose (EMBARGO_BASE_URL, issue 9's variable).
    assert f'<link rel="canonical" href="{make_run}/articles/the-mythos-leak/">' in body


def test_make_run_keeps_the_embargoed_draft_a_404(make_run):
    status, _ = fetch(make_run + "/articles/mythos-follow-up-audit/")
    missing_status, _ = fetch(make_run + "/articles/no-such-article/")
    assert status == missing_status == 404
