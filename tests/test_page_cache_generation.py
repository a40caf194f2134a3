"""A cache hit costs no SQL where the cache is shared, and a change is never followed by a stale page.

With ``EMBARGO_GENERATION_IN_CACHE`` (set when ``REDIS_URL`` is), the page-cache generation is a token
kept in the cache; these tests run it on local memory in this process (the test's writer and
reader share it, as every process shares Redis) and, when ``REDIS_URL`` is set, on that Redis.
Without it (the embedded default) a hit costs one primary-key read of the database's counter.
"""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import resolve, reverse
from django_tasks_db.models import DBTaskResult

from articles import asset_delivery, publishing, soft_cache
from articles.access import SYSTEM
from articles.asset_delivery import StoredFile
from articles.models import Article, Status
from articles.web import caching
from articles.web.middleware import PublicPageCacheMiddleware
from tests.factories import make_article, png_upload

REPLACE_TASK = "articles.web.caching.replace_generation_later"

PUBLIC_PAGES = [
    "/",
    "/?page=2",
    "/articles/story-0/",
    "/tags/harbour/",
    "/tags/",
    "/search/?q=harbour",
    "/feeds/rss/",
    "/feeds/atom/",
    "/sitemap.xml",
    "/sitemap-articles.xml",
    "/robots.txt",
]


@pytest.fixture
def shared_generation(settings):
    settings.EMBARGO_GENERATION_IN_CACHE = True


def publish_many(count: int) -> None:
    for n in range(count):
        make_article(f"story-{n}", status=Status.PUBLISHED, tags=["Harbour"], body="Harbour news.")


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_cache_hit_runs_no_sql(
    client, db, shared_generation, django_assert_num_queries, url, size
):
    publish_many(size)
    first = client.get(url)
    if url == "/?page=2" and size == 3:
        assert first.status_code == 404  # no second page: a 404 is never cached, and costs SQL
        return
    assert first.status_code == 200
    with django_assert_num_queries(0):
        hit = client.get(url)
    assert hit.content == first.content


@pytest.mark.parametrize("size", [3, 30])
def test_on_the_embedded_default_a_hit_reads_only_the_generation(
    client, db, settings, django_assert_num_queries, size
):
    settings.EMBARGO_GENERATION_IN_CACHE = False
    publish_many(size)
    client.get("/articles/story-0/")
    with django_assert_num_queries(1) as captured:
        assert client.get("/articles/story-0/").status_code == 200
    assert "pagecachegeneration" in captured.captured_queries[0]["sql"]


@pytest.fixture
def story(db, shared_generation) -> Article:
    return make_article("story", status=Status.PUBLISHED, title="Harbour story")


def test_a_withdrawal_right_after_a_hit_is_served_at_once(
    client, story, django_capture_on_commit_callbacks
):
    client.get("/articles/story/")
    assert client.get("/articles/story/").status_code == 200  # the hit
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=story)
    assert client.get("/articles/story/").status_code == 404
    assert b"Harbour story" not in client.get("/").content


def test_a_flushed_cache_starts_a_new_generation(client, story):
    client.get("/articles/story/")
    cache.clear()  # pages and token gone together, as a Redis FLUSHALL or restart does
    publishing.article_withdraw(actor=SYSTEM, article=story)
    assert client.get("/articles/story/").status_code == 404


def test_a_token_lost_on_its_own_leaves_no_old_page_reachable(client, story):
    """An evicted token: the next one is new, so pages stored under the old one are never read."""
    client.get("/articles/story/")
    cache.delete(caching.GENERATION_KEY)
    Article.objects.filter(pk=story.pk).update(status=Status.WITHDRAWN)  # behind the cache's back
    assert client.get("/articles/story/").status_code == 404


class Unreachable:
    """A cache backend that is down: every call fails as a stopped Redis does."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_a_withdrawal_while_the_cache_is_down_is_not_undone_when_it_returns(
    client, story, monkeypatch, django_capture_on_commit_callbacks
):
    """The cache keeps its old token and pages through the outage; it is never trusted after it."""
    monkeypatch.setattr(soft_cache, "RETRY_AFTER", 0.0)
    client.get("/articles/story/")
    assert client.get("/articles/story/").status_code == 200  # cached, token in the cache
    with monkeypatch.context() as outage:
        outage.setattr(soft_cache, "cache", Unreachable())
        with django_capture_on_commit_callbacks(execute=True):
            publishing.article_withdraw(actor=SYSTEM, article=story)  # cannot tell the cache
        assert client.get("/articles/story/").status_code == 404  # rendered, not cached
    assert client.get("/articles/story/").status_code == 404  # the cache is back, old entries too
    assert not soft_cache._down_since
    # For the processes that never saw the outage: the worker replaces the token too.
    assert DBTaskResult.objects.filter(task_path=REPLACE_TASK, status="READY").exists()


def test_the_workers_replacement_gives_a_new_token_and_retries_while_the_cache_is_down(
    story, monkeypatch
):
    before = caching.page_generation()
    caching.replace_generation_later.call()
    assert caching.page_generation() != before
    monkeypatch.setattr(caching, "cache", Unreachable())
    with pytest.raises(ConnectionError):
        caching.replace_generation_later.call()
    retry = DBTaskResult.objects.get(task_path=REPLACE_TASK, status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 1}


def test_a_summary_page_reads_the_next_embargo_end_once_per_generation(
    story, django_assert_num_queries
):
    generation = caching.page_generation()
    caching.public_end(summarising=caching.Summary.EVERY_PUBLIC_ARTICLE, generation=generation)
    with django_assert_num_queries(0):
        for summary in (caching.Summary.EVERY_PUBLIC_ARTICLE, caching.Summary.EVERY_TAGGED_ARTICLE):
            caching.public_end(summarising=summary, generation=generation)


@pytest.mark.redis
def test_on_redis_a_cache_hit_runs_no_sql(client, db, django_assert_num_queries):
    """The configuration REDIS_URL gives: the Redis cache and the generation kept in it."""
    if "redis" not in django_settings.CACHES["default"]["BACKEND"].lower():
        pytest.skip("needs REDIS_URL=redis://… (make test's second run sets it)")
    assert django_settings.EMBARGO_GENERATION_IN_CACHE
    publish_many(3)
    client.get("/articles/story-0/")
    with django_assert_num_queries(0):
        assert client.get("/articles/story-0/").status_code == 200


@pytest.mark.parametrize("generation_in_cache", [True, False])
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_hit_carries_the_misss_headers_in_their_order(
    client, db, settings, url, generation_in_cache
):
    """Security headers, CSP, Vary, Cache-Control…: a cached page is the fresh one, byte for byte."""
    settings.EMBARGO_GENERATION_IN_CACHE = generation_in_cache
    publish_many(30)
    miss = client.get(url)
    hit = client.get(url)
    assert (hit.status_code, hit.content) == (miss.status_code, miss.content)
    assert list(hit.headers.items()) == list(miss.headers.items())
    assert hit.cookies.output() == miss.cookies.output() == ""


def test_a_page_stored_under_an_earlier_generation_is_never_served(
    client, story, rf, django_capture_on_commit_callbacks
):
    """A request that started before a withdrawal stores the page it read after the commit."""
    key = PublicPageCacheMiddleware._key(rf.get("/articles/story/"))
    before = caching.page_generation()
    stale = HttpResponse(client.get("/articles/story/").content)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=story)
    assert caching.store_page(key, before, stale, timeout=300)  # the racing request's write
    assert client.get("/articles/story/").status_code == 404


@pytest.fixture
def pictured(db) -> Article:
    return make_article("pictured", status=Status.PUBLISHED, files=[png_upload("hero.png")])


def hero_url(article: Article) -> str:
    return article.assets.get(original_name="hero.png").get_absolute_url()


@pytest.mark.parametrize("generation_in_cache", [True, False])
def test_a_public_asset_hit_is_the_fresh_response_read_from_its_file(
    client, pictured, settings, django_assert_num_queries, generation_in_cache
):
    settings.EMBARGO_GENERATION_IN_CACHE = generation_in_cache
    url = hero_url(pictured)
    miss = client.get(url)
    with django_assert_num_queries(0 if generation_in_cache else 1):
        hit = client.get(url)
        assert b"".join(hit.streaming_content) == b"".join(miss.streaming_content)
    assert hit.status_code == miss.status_code == 200
    assert list(hit.headers.items()) == list(miss.headers.items())


def test_a_cached_public_asset_is_gone_at_once_when_its_article_is_withdrawn(
    client, pictured, shared_generation, django_capture_on_commit_callbacks
):
    url = hero_url(pictured)
    client.get(url)
    assert client.get(url).status_code == 200  # the hit
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=pictured)
    assert client.get(url).status_code == 404


def test_a_cached_public_asset_whose_file_is_gone_runs_as_a_miss(client, pictured, monkeypatch):
    url = hero_url(pictured)
    client.get(url)
    monkeypatch.setattr(StoredFile, "response", lambda stored: None)  # its file removed
    answered_by_the_view = []
    body_response = asset_delivery.body_response

    def counted(*args, **kwargs):
        answered_by_the_view.append(args)
        return body_response(*args, **kwargs)

    monkeypatch.setattr(asset_delivery, "body_response", counted)
    assert client.get(url).status_code == 200
    assert answered_by_the_view


@pytest.mark.parametrize(
    ("door", "kept"), [("asset", True), ("asset-rendition", True), ("preview-asset", False)]
)
def test_only_the_asset_doors_files_are_kept(rf, pictured, door, kept):
    """A file reached through a share link would outlive the link's revocation or expiry, which
    replaces no generation: it is never kept, even if a view marked it public."""
    chart = pictured.assets.get(original_name="hero.png")
    arguments = {"token": chart.token, "name": chart.original_name}
    if door == "asset-rendition":
        arguments["variant"] = "w640"
    if door == "preview-asset":
        arguments["preview_token"] = "shared"
    request = rf.get(reverse(door, kwargs=arguments))
    request.resolver_match = resolve(request.path_info)
    response = asset_delivery.body_response(chart, attachment=False, filename="hero.png")
    response.embargo_max_age = 300
    response.embargo_ends_at = None
    stored = PublicPageCacheMiddleware._storable(request, response)
    response.close()
    assert isinstance(stored, StoredFile) is kept


def test_a_cached_public_asset_honours_if_none_match_and_closes_its_file(
    client, pictured, monkeypatch
):
    url = hero_url(pictured)
    etag = client.get(url)["ETag"]
    opened = []
    reopen = StoredFile.response

    def kept_open(stored):
        response = reopen(stored)
        opened.append(response.file_to_stream)
        return response

    monkeypatch.setattr(StoredFile, "response", kept_open)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert opened[0].closed


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("If-None-Match", "ETag", 304),  # a name: the first answer's own header of that name
        ("If-Modified-Since", "Last-Modified", 304),
        ("If-Match", '"another"', 412),
        ("If-Unmodified-Since", "Mon, 01 Jan 1990 00:00:00 GMT", 412),
    ],
)
def test_a_cached_api_answer_honours_every_conditional_header(client, story, header, value, status):
    path = f"/api/v1/articles/{story.slug}"
    first = client.get(path)
    value = first.get(value, value)
    assert client.get(path, headers={header: value}).status_code == status
