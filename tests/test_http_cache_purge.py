"""Withdrawing closes the door in the HTTP cache in front too: a real Varnish, purged by tag."""

import io
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from articles import frontend_cache
from articles.models import Article, Status
from tests.factories import make_article, png_upload
from tests.processes import free_port, start, stop

VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "embargo.vcl"
TASK_PATH = "articles.frontend_cache.purge_http_cache"


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - test URLs
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.fixture
def varnish(live_server):
    """varnishd in the foreground on a free loopback port, its backend the live test server."""
    varnishd = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if not varnishd:
        pytest.skip("varnishd is not installed (apt-get install varnish; .ci/run does)")
    backend_port = live_server.url.rsplit(":", 1)[1]
    # Run as root, varnishd compiles the VCL as its own unprivileged user: it must be readable.
    workdir = Path(tempfile.mkdtemp(prefix="embargo-varnish-"))
    workdir.chmod(0o755)
    vcl = workdir / "embargo.vcl"
    vcl.write_text(VCL.read_text().replace('.port = "8000"', f'.port = "{backend_port}"'))
    vcl.chmod(0o644)
    port = free_port()
    process = start(
        [
            varnishd,
            "-F",
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-n",
            str(workdir / "state"),
            "-s",
            "malloc,32m",
            "-T",
            "none",
        ],
        port,
    )
    yield f"http://127.0.0.1:{port}"
    stop(process)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_after_withdraw_varnish_no_longer_shows_the_article_its_image_or_home(
    varnish, settings, storage_sentinel
):
    settings.EMBARGO_HTTP_CACHE_PURGE_URL = varnish
    article = make_article(
        "harbour-story", status=Status.PUBLISHED, title="Harbour Story", files=(png_upload(),)
    )
    run_worker()  # the publication's own purge
    image = article.assets.get().get_absolute_url()
    pages = [f"{varnish}/articles/harbour-story/", f"{varnish}{image}", f"{varnish}/"]
    for url in pages:
        status, _, _ = fetch(url)
        assert status == 200, url
        status, headers, _ = fetch(url)
        assert len(headers["X-Varnish"].split()) == 2, f"{url} was not a cache hit"
        assert "Surrogate-Key" not in headers
    assert b"Harbour Story" in fetch(f"{varnish}/")[2]

    call_command("withdraw", "harbour-story", stdout=io.StringIO())
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()
    run_worker()

    assert fetch(pages[0])[0] == 404
    assert fetch(pages[1])[0] == 404
    status, _, home = fetch(pages[2])
    assert status == 200 and b"Harbour Story" not in home


@pytest.mark.django_db(transaction=True)
def test_a_failed_purge_is_retried_with_back_off(settings):
    settings.EMBARGO_HTTP_CACHE_PURGE_URL = f"http://127.0.0.1:{free_port()}"
    make_article("quiet-story", status=Status.PUBLISHED)
    run_worker()
    failed = DBTaskResult.objects.get(task_path=TASK_PATH, status="FAILED")
    retry = DBTaskResult.objects.get(task_path=TASK_PATH, status="READY")
    assert retry.args_kwargs["kwargs"] == {
        "keys": ["article:quiet-story", "listings"],
        "attempt": 1,
    }
    assert retry.run_after > failed.enqueued_at


@pytest.mark.django_db
def test_no_purge_url_enqueues_nothing(settings):
    settings.EMBARGO_HTTP_CACHE_PURGE_URL = ""
    make_article("quiet-story", status=Status.PUBLISHED)
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


@pytest.mark.django_db
def test_public_pages_carry_their_surrogate_keys(client, storage_sentinel):
    make_article("harbour-story", status=Status.PUBLISHED, files=(png_upload(),))
    article = Article.objects.get(slug="harbour-story")
    assert (
        client.get("/articles/harbour-story/")["Surrogate-Key"] == "embargo article:harbour-story"
    )
    assert client.get(article.assets.get().get_absolute_url())["Surrogate-Key"] == (
        "embargo article:harbour-story"
    )
    assert client.get("/")["Surrogate-Key"] == "embargo listings"
    assert "Surrogate-Key" not in client.get("/articles/no-such-story/")
    assert frontend_cache.purge_keys([]) == ["embargo"]
