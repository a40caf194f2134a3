"""The sitemap: published articles only, with their public last-modified dates."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from articles.models import Article
from articles.web.metadata import public_last_modified


class ArticleSitemap(Sitemap):
    """Every public article, at its canonical address on ``EMBARGO_BASE_URL``."""

    changefreq = "weekly"

    # The configured origin, not the request's Host header, as for canonical links.
    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.EMBARGO_BASE_URL).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.EMBARGO_BASE_URL).netloc

    def items(self) -> QuerySet:
        return (
            Article.objects.published()
            .select_related("live_revision")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item: Article):
        return public_last_modified(item)


SITEMAPS = {"articles": ArticleSitemap}
