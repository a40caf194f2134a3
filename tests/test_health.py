"""/healthz asks every component each time and names only the one that failed."""

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test.utils import CaptureQueriesContext, override_settings

from articles.models import Status
from tests.factories import make_article

COMPONENTS = ("database", "cache", "storage", "static")
ALL_OK = {"status": "ok", **dict.fromkeys(COMPONENTS, "ok")}


def failed(component: str) -> dict:
    return {"status": "failed", **dict.fromkeys(COMPONENTS, "ok"), component: "failed"}


@pytest.fixture
def site(db, storage_sentinel):
    make_article("quiet-harbour", status=Status.DRAFT, title="Quiet Harbour Protocol")
    make_article("public-story", status=Status.PUBLISHED)


def test_healthz_answers_ok_for_every_component(client, site):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == ALL_OK


def test_healthz_is_private_and_never_stored(client, site):
    response = client.get("/healthz")
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_healthz_reads_no_article_table(client, site):
    """Its work cannot depend on what content exists."""
    with CaptureQueriesContext(connection) as queries:
        client.get("/healthz")
    assert [q["sql"] for q in queries if "articles_" in q["sql"]] == []


def test_database_down_is_a_503_naming_the_database(client, site, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection to server at 10.0.0.5 refused")

    monkeypatch.setattr("articles.web.health.connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == failed("database")
    assert b"10.0.0.5" not in response.content


def test_cache_down_is_a_503_naming_the_cache_and_skipping_the_page_cache(client, site):
    """Nothing listens on port 9: every cache call fails, the page cache's included."""
    unreachable = {
        "default": {
            "BACKEND": "articles.redis_cache.ReusedClientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == failed("cache")


def test_storage_without_its_sentinel_is_a_503_naming_the_storage(client, site, settings, tmp_path):
    """As when the volume or bucket mounted now is not the one that was migrated against."""
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {
            "BACKEND": "articles.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "unmounted"},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == failed("storage")
    assert b"unmounted" not in response.content


def test_missing_static_manifest_is_a_503_naming_static(client, site, settings, tmp_path):
    """Without collectstatic every page is a 500: the health check must not say ok."""
    settings.STATIC_ROOT = tmp_path / "never-collected"
    settings.STATIC_ROOT.mkdir()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == failed("static")


def test_migrate_writes_the_storage_sentinel(db, asset_storage_in_tmp, client):
    from django.core.management import call_command

    assert client.get("/healthz").json()["storage"] == "failed"
    call_command("migrate", verbosity=0)
    assert client.get("/healthz").json() == ALL_OK
