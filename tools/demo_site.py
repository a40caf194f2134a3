"""The demo site served for a browser: a throw-away copy of the tree, its own database, a free port.

Like ``tests/test_boot.py`` does for ``make run``: the copy has its own ``var/`` (a fresh SQLite
database, secret key and private assets), shares the installed virtualenv, and the server is
stopped by its process-group id. Used by ``make screenshots`` and the browser tests.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Only for the throw-away copy's demo accounts, so a browser can sign in as them.
DEMO_PASSWORD = "throw-away demo password 16"  # noqa: S105
FOREIGN_VARIABLES = ("EMBARGO_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "TEST_", "PYTEST_")
_PREPARE = f"""
from django.contrib.auth import get_user_model
from articles import publishing
from articles.models import Article
User = get_user_model()
for name in ("editor", "early-reader"):
    user = User.objects.get(username=name)
    user.set_password({DEMO_PASSWORD!r})
    user.save()
draft = Article.objects.get(slug="mythos-follow-up-audit")
_, token = publishing.preview_link_issue(
    actor=User.objects.get(username="editor"), article=draft, label="Legal review"
)
print("DEMO-SITE", draft.pk, token)
"""


@dataclass(frozen=True)
class DemoSite:
    url: str
    draft_pk: int
    preview_path: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo site stopped at start-up:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback http only
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise RuntimeError(f"the demo site did not answer at {url}:\n{log.read_text()}")


@contextlib.contextmanager
def demo_site(prepare: str = "") -> Iterator[DemoSite]:
    """Serve the demo newsroom from a throw-away copy until the block ends.

    ``prepare``: more Python for ``manage.py shell`` to run in the copy before it is served (a
    test's own accounts and articles), with ``User``, ``Article`` and ``publishing`` in scope.
    """
    with tempfile.TemporaryDirectory(prefix="embargo-demo-") as tmp:
        copy = Path(tmp) / "embargo"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(
                ".venv", "var", ".git", "__pycache__", ".*_cache", "*.egg-info", "docs"
            ),
        )
        (copy / ".venv").symlink_to(ROOT / ".venv")
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_VARIABLES)}
        env |= {
            "EMBARGO_ENVIRONMENT": "development",
            "EMBARGO_BASE_URL": f"http://127.0.0.1:{port}",
        }
        python = str(copy / ".venv" / "bin" / "python")

        def manage(*args: str) -> str:
            return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                [python, "manage.py", *args],
                cwd=copy,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout

        manage("migrate", "--no-input")
        manage("load_demo")
        manage("collectstatic", "--no-input", "--verbosity", "0")
        # The shell may print more (log lines); the answer is the marked line.
        (answer,) = [
            line
            for line in manage("shell", "-c", _PREPARE + prepare).splitlines()
            if "DEMO-SITE" in line
        ]
        draft_pk, token = answer.split()[-2:]
        log = copy / "server.log"
        with log.open("w") as output:
            process = subprocess.Popen(  # noqa: S603
                [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=copy,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(f"{url}/healthz", process, log)
            yield DemoSite(url=url, draft_pk=int(draft_pk), preview_path=f"/preview/{token}/")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def launch_chromium(playwright):
    """Debian's Chromium, headless, driven by Playwright (which never downloads a browser here)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def sign_in(page, base_url: str, username: str, *, next_path: str = "/") -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"could not sign in as {username} on the demo site")
