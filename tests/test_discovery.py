"""Feeds, sitemap, robots.txt, tag pages and page metadata: published live revisions only."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Revision, Status, Tag
from articles.publishing import search_index
from articles.web.sitemaps import ArticleSitemap
from tests.factories import make_article, png_upload
from tests.response_shape import assert_same_shape

BASE_URL = "https://news.example"
SHARED_TAG = "Newsroom"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.EMBARGO_BASE_URL = BASE_URL


def write(slug: str, state: str, *, title: str, tags=(SHARED_TAG,), **fields) -> Article:
    """An article in ``state`` carrying the shared tag unless told otherwise."""
    return make_article(slug, status=state, title=title, tags=list(tags), **fields)


@pytest.fixture
def newsroom(db) -> dict[str, Article]:
    """One public article and four kinds of unpublished work, all tagged and worded alike."""
    articles = {
        "published": write(
            "harbour-opens",
            Status.PUBLISHED,
            title="Harbour opens",
            summary="The harbour opened today.",
            body="Common words. The harbour is open.",
        ),
        "draft": write("draft-kestrel", Status.DRAFT, title="Kestrel draft", body="Common words."),
        "scheduled": write(
            "scheduled-osprey", Status.SCHEDULED, title="Osprey scheduled", body="Common words."
        ),
        "withdrawn": write(
            "withdrawn-heron", Status.WITHDRAWN, title="Heron withdrawn", body="Common words."
        ),
        "edited": write(
            "edited-plover", Status.PUBLISHED, title="Plover live", body="Common words."
        ),
    }
    publishing.article_update(
        actor=SYSTEM,
        article=articles["edited"],
        title="Plover unpublished edit",
        body="Common words. Cormorant.",
        tags=[SHARED_TAG, "Cormorant tag"],
    )
    return articles


PUBLIC_TITLE = "Harbour opens"
HIDDEN_TITLES = ["Kestrel draft", "Osprey scheduled", "Heron withdrawn", "Plover unpublished edit"]
HIDDEN_SLUGS = ["draft-kestrel", "scheduled-osprey", "withdrawn-heron"]


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/"])
def test_feed_lists_only_live_revisions_of_published_articles(client, newsroom, url):
    text = client.get(url).content.decode()
    assert PUBLIC_TITLE in text
    assert "Plover live" in text
    for hidden in [*HIDDEN_TITLES, *HIDDEN_SLUGS, "Cormorant"]:
        assert hidden not in text


def test_rss_carries_summary_and_full_content_with_absolute_links(client, newsroom):
    text = client.get("/feeds/rss/").content.decode()
    assert "<description>The harbour opened today.</description>" in text
    assert "<content:encoded>&lt;p&gt;Common words. The harbour is open.&lt;/p&gt;" in text
    assert f"<link>{BASE_URL}/articles/harbour-opens/</link>" in text


def test_atom_carries_full_content(client, newsroom):
    text = client.get("/feeds/atom/").content.decode()
    assert '<content type="html">&lt;p&gt;Common words. The harbour is open.' in text
    assert f'href="{BASE_URL}/articles/harbour-opens/"' in text


def test_feed_makes_body_asset_links_absolute(client, db):
    write(
        "pictured",
        Status.PUBLISHED,
        title="Pictured",
        body="![Chart](chart.png)",
        files=[png_upload("chart.png")],
    )
    token = Asset.objects.get().token
    text = client.get("/feeds/rss/").content.decode()
    assert f'src="{BASE_URL}/assets/{token}/chart.png"' in text


@pytest.mark.parametrize(
    "url", ["/feeds/rss/", "/feeds/atom/", "/sitemap.xml", "/sitemap-articles.xml", "/robots.txt"]
)
def test_discovery_documents_are_public_and_cacheable(client, newsroom, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_sitemap_lists_only_published_articles_with_lastmod(client, newsroom):
    text = client.get("/sitemap-articles.xml").content.decode()
    assert f"<loc>{BASE_URL}/articles/harbour-opens/</loc>" in text
    assert f"<loc>{BASE_URL}/articles/edited-plover/</loc>" in text
    assert text.count("<url>") == 2
    assert text.count("<lastmod>") == 2
    for slug in HIDDEN_SLUGS:
        assert slug not in text


def test_sitemap_lastmod_ignores_unpublished_edits(client, newsroom):
    """An edit nobody can read must not move the public lastmod (it would announce a draft)."""
    edited = newsroom["edited"]
    Revision.objects.filter(pk=edited.latest_revision_id).update(
        created_at=timezone.now() + timedelta(days=3)
    )
    text = client.get("/sitemap-articles.xml").content.decode()
    assert edited.published_at.date().isoformat() in text
    assert (timezone.now() + timedelta(days=3)).date().isoformat() not in text


@pytest.mark.parametrize("url", ["/sitemap.xml", "/sitemap-articles.xml"])
def test_sitemap_ignores_host_header(client, newsroom, url):
    text = client.get(url, HTTP_HOST="localhost").content.decode()
    assert "localhost" not in text
    assert BASE_URL in text


LOC = re.compile(r"<loc>(?P<url>[^<]+)</loc>")


def test_the_sitemap_index_lists_every_page_and_each_article_is_on_exactly_one(
    client, db, monkeypatch
):
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    slugs = {make_article(f"paged-{n}", status=Status.PUBLISHED).slug for n in range(5)}
    make_article("paged-draft")
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    pages = LOC.findall(index.content.decode())
    assert pages == [
        f"{BASE_URL}/sitemap-articles.xml",
        f"{BASE_URL}/sitemap-articles.xml?p=2",
        f"{BASE_URL}/sitemap-articles.xml?p=3",
    ]
    listed = []
    for page in pages:
        response = client.get(page.removeprefix(BASE_URL))
        assert response.status_code == 200
        listed += LOC.findall(response.content.decode())
    assert sorted(listed) == sorted(f"{BASE_URL}/articles/{slug}/" for slug in slugs)
    assert client.get("/sitemap-articles.xml?p=4").status_code == 404


def test_robots_txt_points_to_the_sitemap_and_disallows_private_areas(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in lines  # the index, which lists every page
    for path in ("/admin/", "/preview/", "/accounts/"):
        assert f"Disallow: {path}" in lines


def test_tag_page_lists_only_published_articles_with_the_tag_live(client, newsroom):
    text = client.get("/tags/newsroom/").content.decode()
    assert PUBLIC_TITLE in text
    assert "Plover live" in text
    for hidden in HIDDEN_TITLES:
        assert hidden not in text


def test_tag_only_on_drafts_is_the_404_of_a_tag_that_never_existed(client, newsroom):
    write("secret", Status.DRAFT, title="Secret", tags=["Lighthouse"])
    hidden = client.get("/tags/lighthouse/")
    missing = client.get("/tags/no-such-tag/")
    assert hidden.status_code == 404
    assert_same_shape(hidden, missing)


def test_tag_only_on_an_unpublished_edit_is_a_404(client, newsroom):
    assert Tag.objects.filter(slug="cormorant-tag").exists()
    assert_same_shape(client.get("/tags/cormorant-tag/"), client.get("/tags/nope/"))


def test_tag_only_on_a_withdrawn_article_is_a_404(client, newsroom):
    write("gone", Status.WITHDRAWN, title="Gone", tags=["Tern"])
    assert client.get("/tags/tern/").status_code == 404


def test_tag_index_lists_public_tags_with_public_counts(client, newsroom):
    write("secret", Status.DRAFT, title="Secret", tags=["Lighthouse"])
    text = client.get("/tags/").content.decode()
    assert re.search(r"Newsroom <span class=\"count\">\(2\)</span>", text)
    assert "Lighthouse" not in text
    assert "Cormorant" not in text


def test_article_links_to_its_tag_pages(client, newsroom):
    assert 'href="/tags/newsroom/"' in client.get("/articles/harbour-opens/").content.decode()


def test_home_pagination_keeps_other_query_parameters(client, db):
    now = timezone.now()
    for number in range(21):
        article = Article.objects.create(
            slug=f"filler-{number}", status=Status.PUBLISHED, published_at=now
        )
        revision = Revision.objects.create(
            article=article, number=1, title=f"Filler {number}", body_html=""
        )
        Article.objects.filter(pk=article.pk).update(
            live_revision=revision, latest_revision=revision
        )
    text = client.get("/?ref=mail").content.decode()
    assert 'href="?ref=mail&amp;page=2"' in text


# --- page metadata -----------------------------------------------------------------------------


@pytest.fixture
def pictured(db) -> Article:
    """A published article with a public image, then an unpublished edit adding a private one."""
    article = write(
        "pictured",
        Status.PUBLISHED,
        title="Pictured </script><script>alert(1)</script>",
        summary="A summary & more.",
        files=[png_upload("hero.png")],
    )
    publishing.article_update(
        actor=SYSTEM,
        article=article,
        title="Pictured edit",
        files=[("private-chart.png", png_upload("private-chart.png", "blue"))],
    )
    return article


def meta(text: str, prop: str) -> list[str]:
    return re.findall(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', text)


def test_published_page_has_opengraph_twitter_and_canonical(client, pictured):
    text = client.get("/articles/pictured/").content.decode()
    url = f"{BASE_URL}/articles/pictured/"
    assert meta(text, "og:type") == ["article"]
    assert meta(text, "og:url") == [url]
    assert meta(text, "og:description") == ["A summary &amp; more."]
    assert meta(text, "twitter:card") == ["summary_large_image"]
    assert f'<link rel="canonical" href="{url}">' in text


def test_og_image_names_the_public_asset_and_never_the_private_one(client, pictured):
    public = Asset.objects.get(original_name="hero.png")
    private = Asset.objects.get(original_name="private-chart.png")
    text = client.get("/articles/pictured/").content.decode()
    assert meta(text, "og:image") == [f"{BASE_URL}/assets/{public.token}/hero.png"]
    assert private.token not in text


def test_og_image_is_absent_when_the_only_image_is_unpublished(client, db):
    article = write("plain", Status.PUBLISHED, title="Plain")
    publishing.article_update(
        actor=SYSTEM, article=article, title="Plain", files=[("later.png", png_upload("later.png"))]
    )
    text = client.get("/articles/plain/").content.decode()
    assert meta(text, "og:image") == []
    assert meta(text, "twitter:card") == ["summary"]
    assert Asset.objects.get().token not in text


def test_json_ld_cannot_be_broken_out_of_by_a_title(client, pictured):
    text = client.get("/articles/pictured/").content.decode()
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    data = json.loads(block)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Pictured </script><script>alert(1)</script>"
    assert "<script>alert(1)" not in text


def test_json_ld_names_only_the_public_image(client, pictured):
    text = client.get("/articles/pictured/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)[1]
    public = Asset.objects.get(original_name="hero.png")
    assert json.loads(block)["image"] == [f"{BASE_URL}/assets/{public.token}/hero.png"]


@pytest.mark.parametrize("url", ["/articles/unseen/", "/articles/pictured/draft/"])
def test_pages_only_grant_holders_see_carry_no_metadata(client, pictured, url):
    """Drafts and working drafts shown to a grant holder have no og, JSON-LD or canonical."""
    write("unseen", Status.DRAFT, title="Unseen", files=[png_upload("unseen.png")])
    user = User.objects.create_user("early")
    for slug in ("unseen", "pictured"):
        publishing.access_grant(
            actor=SYSTEM, article=Article.objects.get(slug=slug), perm="view", user=user
        )
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "og:" not in text
    assert "twitter:" not in text
    assert "application/ld+json" not in text
    assert 'rel="canonical"' not in text


def test_preview_page_carries_no_metadata(client, pictured, settings):
    # Set explicitly: the settings module currently leaves these as unparsed strings when unset.
    settings.EMBARGO_PREVIEW_MAX_TTL = timedelta(days=30)
    _link, token = publishing.preview_link_issue(
        actor=SYSTEM, article=pictured, label="Legal", ttl=timedelta(hours=1)
    )
    text = client.get(f"/preview/{token}/").content.decode()
    assert "Pictured edit" in text
    assert "og:" not in text
    assert "application/ld+json" not in text
    assert 'rel="canonical"' not in text


# --- query counts --------------------------------------------------------------------------------


def bulk_publish(count: int) -> None:
    """``count`` published articles sharing a tag and a word, written directly for speed."""
    now = timezone.now()
    tag = Tag.objects.create(name="Bulk", slug="bulk")
    articles = Article.objects.bulk_create(
        Article(slug=f"bulk-{n}", status=Status.PUBLISHED, published_at=now - timedelta(minutes=n))
        for n in range(count)
    )
    revisions = Revision.objects.bulk_create(
        Revision(
            article=article,
            number=1,
            title=f"Bulk {n}",
            summary="Bulk summary.",
            body="Common bulk words.",
            body_html="<p>Common bulk words.</p>",
            body_text="Common bulk words.",
        )
        for n, article in enumerate(articles)
    )
    for article, revision in zip(articles, revisions, strict=True):
        article.live_revision = article.latest_revision = revision
    Article.objects.bulk_update(articles, ["live_revision", "latest_revision"])
    Revision.tags.through.objects.bulk_create(
        Revision.tags.through(revision=revision, tag=tag) for revision in revisions
    )
    search_index.refresh()  # what publishing does when a revision goes live
    assert Article.objects.published().count() == count


# (url, queries) on a cold cache: page-cache generation, the page's own queries (a paginated page's
# count comes with its rows; the tag index is one aggregate and the spellings), and for the pages
# that summarise every public article (sitemap index, tag index) one read of the next embargo ends,
# once per generation. Listings read the embargo ends from the rows they show.
QUERY_COUNTS = [
    ("/feeds/rss/", 3),
    ("/feeds/atom/", 3),
    ("/sitemap.xml", 3),
    ("/sitemap-articles.xml", 3),
    ("/search/?q=bulk", 3),
    ("/tags/bulk/", 4),
    ("/tags/", 4),
    ("/", 3),
    # The article, its live revision, that revision's tags, its public image.
    ("/articles/bulk-0/", 5),
    ("/robots.txt", 1),
]


@pytest.mark.parametrize("size", [10, 200])
@pytest.mark.parametrize(("url", "queries"), QUERY_COUNTS)
def test_query_count_does_not_grow_with_articles(
    client, db, settings, django_assert_num_queries, size, url, queries
):
    # The generation read from the database, as on the embedded default; with Redis it is read
    # from the cache, one query fewer (test_page_cache_generation.py).
    settings.EMBARGO_GENERATION_IN_CACHE = False
    bulk_publish(size)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("size", [10, 200])
def test_a_signed_in_readers_article_query_count_does_not_grow(
    client, db, django_assert_num_queries, size
):
    """Session, user, the article with the grant answer, its revision, its tags, its image."""
    bulk_publish(size)
    client.force_login(User.objects.create_user("reader"))
    with django_assert_num_queries(6):
        assert client.get("/articles/bulk-0/").status_code == 200
