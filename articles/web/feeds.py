"""RSS 2.0 and Atom feeds: the live revisions of published articles, nothing else."""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from articles.models import Article
from articles.web.caching import mark_public
from articles.web.metadata import (
    absolute_url,
    description_of,
    live_revision_of,
    public_last_modified,
)
from articles.web.selectors import public_listing

FEED_LENGTH = 20
# Site-relative links and images in a body ("/assets/…") are made absolute: feed readers show the
# content away from the site, where a relative URL points nowhere.
SITE_RELATIVE = re.compile(r'(?P<attr>(?:src|href)=")/(?!/)')


def absolute_links(html: str) -> str:
    """``html`` with its site-relative ``src``/``href`` URLs on ``EMBARGO_BASE_URL``."""
    return SITE_RELATIVE.sub(rf"\g<attr>{settings.EMBARGO_BASE_URL}/", html)


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with the full article in ``content:encoded``, as feed readers expect."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    """Atom with the full article as HTML ``content`` next to the summary."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestArticlesFeed(Feed):
    """The newest published articles, as RSS 2.0."""

    feed_type: type[SyndicationFeed] = RssWithContent
    url_name = "feed-rss"
    title = "Embargo"
    description = "Published articles from Embargo."

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        return mark_public(request, response, showing=request.feed_items)

    def get_object(self, request, *args, **kwargs) -> list[Article]:
        """The articles this response lists, read once: for the feed and for its ``max-age``."""
        request.feed_items = list(public_listing()[:FEED_LENGTH])
        return request.feed_items

    # Absolute URLs come from EMBARGO_BASE_URL, like canonical links, not from the Host header.
    def link(self) -> str:
        return absolute_url(reverse("home"))

    def feed_url(self) -> str:
        return absolute_url(reverse(self.url_name))

    def items(self, listed: list[Article]) -> list[Article]:
        return listed

    def item_link(self, item: Article) -> str:
        return absolute_url(item.get_absolute_url())

    def item_title(self, item: Article) -> str:
        return live_revision_of(item).title

    def item_description(self, item: Article) -> str:
        return description_of(live_revision_of(item))

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return public_last_modified(item)

    def item_author_name(self, item: Article) -> str:
        return item.author_name

    def item_categories(self, item: Article) -> list[str]:
        return [tag.name for tag in live_revision_of(item).tags.all()]

    def item_extra_kwargs(self, item: Article) -> dict:
        return {"content": absolute_links(live_revision_of(item).body_html)}


class LatestArticlesAtomFeed(LatestArticlesFeed):
    """The same articles as Atom 1.0."""

    feed_type = AtomWithContent
    url_name = "feed-atom"
    subtitle = LatestArticlesFeed.description
