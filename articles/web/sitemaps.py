"""The sitemap: an index of paged sitemaps listing published articles, with public last-modified dates.

``/sitemap.xml`` is the index (what robots.txt names); it lists every page of every section,
``/sitemap-articles.xml``, ``?p=2`` …, so however many articles there are, each is on a page the
index links to. Pages hold ``SITEMAP_PAGE_SIZE`` URLs (the protocol allows 50,000) in primary-key
order, so a page's content changes only when an article on it leaves, not whenever one is published.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import QuerySet
from django.urls import reverse

from articles.models import Article
from articles.web.metadata import absolute_url, public_last_modified

SITEMAP_PAGE_SIZE = 5000


class ArticleSitemap(Sitemap):
    """Every public article, at its canonical address on ``EMBARGO_BASE_URL``."""

    changefreq = "weekly"
    limit = SITEMAP_PAGE_SIZE

    # The configured origin, not the request's Host header, as for canonical links.
    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.EMBARGO_BASE_URL).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.EMBARGO_BASE_URL).netloc

    def items(self) -> QuerySet:
        # What a <url> entry prints and the page's max-age reads: never a revision's body.
        return (
            Article.objects.published()
            .select_related("live_revision")
            .only("slug", "published_at", "unpublish_at", "live_revision__created_at")
            .order_by("pk")
        )

    def lastmod(self, item: Article):
        return public_last_modified(item)


SITEMAPS = {"articles": ArticleSitemap}


def index_entries() -> list[SitemapIndexItem]:
    """Every page of every section, on ``EMBARGO_BASE_URL``: one count query per section."""
    entries = []
    for section, sitemap in SITEMAPS.items():
        location = absolute_url(reverse("sitemap-section", kwargs={"section": section}))
        entries.append(SitemapIndexItem(location))
        pages = sitemap().paginator.num_pages
        entries.extend(SitemapIndexItem(f"{location}?p={page}") for page in range(2, pages + 1))
    return entries
