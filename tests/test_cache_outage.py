"""Redis down is not an outage: the page cache fails soft, serves fresh pages, and recovers."""

import shutil
import time

import pytest
from django.test.utils import override_settings

from articles import publishing, soft_cache
from articles.access import SYSTEM
from articles.models import Article, Status
from tests.factories import make_article
from tests.processes import free_port, start, stop

PUBLIC_PAGES = (
    "/",
    "/articles/public-story/",
    "/articles/never-existed/",
    "/feeds/rss/",
    "/feeds/atom/",
    "/sitemap.xml",
    "/sitemap-articles.xml",
    "/tags/",
    "/search/?q=story",
    "/accounts/login/",
    "/robots.txt",
)


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "articles.redis_cache.ReusedClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def site(db, storage_sentinel):
    make_article("public-story", status=Status.PUBLISHED, title="Public Story")
    make_article("quiet-harbour", status=Status.DRAFT, title="Quiet Harbour Protocol")


@pytest.fixture
def redis_server():
    """A real redis-server of the test's own, on a free loopback port; stopped by pid."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = start(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        port,
    )
    yield port, process
    stop(process)


def test_sessions_do_not_live_in_the_cache(settings):
    """A cache outage must not sign anyone out (the Redis timeouts: test_settings_env.py)."""
    from importlib import import_module

    from django.contrib.sessions.backends import cache, cached_db, db

    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert issubclass(store, db.SessionStore)
    assert not issubclass(store, (cache.SessionStore, cached_db.SessionStore))


def test_nothing_listening_is_no_5xx_on_any_public_page(client, site):
    with override_settings(CACHES=redis_cache(free_port())):
        for path in PUBLIC_PAGES:
            response = client.get(path)
            assert response.status_code < 500, path
        assert client.get("/articles/public-story/").status_code == 200
        assert client.get("/articles/quiet-harbour/").status_code == 404
        health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["cache"] == "failed"


def test_the_api_answers_through_an_outage_and_only_its_token_lock_out_pauses(
    client, site, settings
):
    """Counting refused tokens fails soft: no 5xx, and no lock-out while nothing is counted."""
    from django.contrib.auth.models import User

    from articles.api import tokens

    secret = tokens.api_token_create(owner=User.objects.create_user("tess"))[1]
    settings.EMBARGO_API_AUTH_FAILURE_LIMIT = 2
    with override_settings(CACHES=redis_cache(free_port())):
        assert client.get("/api/v1/tags").status_code == 200
        refused = [
            client.get("/api/v1/tags", headers={"authorization": "Bearer nonsense"}).status_code
            for _ in range(4)
        ]
        assert refused == [401] * 4
        valid = client.get("/api/v1/tags", headers={"authorization": f"Bearer {secret}"})
        assert valid.status_code == 200


def test_an_outage_costs_one_timeout_per_interval_not_per_request(client, site):
    with override_settings(CACHES=redis_cache(free_port())):
        client.get("/")
        started = time.monotonic()
        for _ in range(20):
            assert client.get("/articles/public-story/").status_code == 200
        assert time.monotonic() - started < 5


def test_redis_stopped_mid_test_serves_fresh_pages_and_no_stale_withdrawn_article(
    client, site, redis_server
):
    port, process = redis_server
    with override_settings(CACHES=redis_cache(port)):
        assert b"Public Story" in client.get("/").content
        assert client.get("/articles/public-story/").status_code == 200  # now cached
        assert client.get("/articles/public-story/").status_code == 200  # served from Redis
        stop(process)
        publishing.article_withdraw(actor=SYSTEM, article=Article.objects.get(slug="public-story"))
        assert client.get("/articles/public-story/").status_code == 404
        assert b"Public Story" not in client.get("/").content
        for path in PUBLIC_PAGES:
            assert client.get(path).status_code < 500, path


def test_the_page_cache_recovers_by_itself_and_never_serves_what_was_withdrawn_meanwhile(
    client, site, redis_server, monkeypatch
):
    port, process = redis_server
    monkeypatch.setattr(soft_cache, "RETRY_AFTER", 0.0)
    with override_settings(CACHES=redis_cache(port)):
        assert client.get("/articles/public-story/").status_code == 200  # cached in Redis
        process.send_signal(19)  # SIGSTOP: a paused Redis, past its socket timeout
        try:
            started = time.monotonic()
            assert client.get("/").status_code == 200
            assert time.monotonic() - started < 3
            publishing.article_withdraw(
                actor=SYSTEM, article=Article.objects.get(slug="public-story")
            )
        finally:
            process.send_signal(18)  # SIGCONT: Redis is back with its old entries
        assert client.get("/articles/public-story/").status_code == 404
        assert not soft_cache._down_since
        make_article("second-story", status=Status.PUBLISHED)
        client.get("/articles/second-story/")
        from django.core.cache import cache

        assert any(key for key in cache._cache.get_client().keys("*page*")), "cache in use again"


def test_the_redis_backend_reuses_one_client_and_still_stores(redis_server):
    """Django's backend built a Redis client per call (its ~170 callbacks each time): ours keeps one."""
    from django.core.cache import caches

    port, _process = redis_server
    with override_settings(CACHES=redis_cache(port)):
        backend = caches["default"]
        client = backend._cache.get_client()
        backend.set("embargo:test", b"stored", timeout=60)
        assert backend.get_many(["embargo:test", "embargo:absent"]) == {"embargo:test": b"stored"}
        assert backend._cache.get_client(write=True) is client
