"""RSS 2.0 and Atom feeds: the live revisions of published articles, nothing else."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from articles.caching import mark_public
from articles.views import public_listing

FEED_LENGTH = 20


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
    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestArticlesFeed(Feed):
    feed_type = RssWithContent
    title = "Embargo"
    link = "/"
    description = "Published articles from Embargo."

    def __call__(self, request, *args, **kwargs):
        return mark_public(request, super().__call__(request, *args, **kwargs))

    def items(self):
        return public_listing()[:FEED_LENGTH]

    def item_title(self, item):
        return item.live_revision.title

    def item_description(self, item):
        return item.live_revision.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.author_name

    def item_categories(self, item):
        return [tag.name for tag in item.live_revision.tags.all()]

    def item_extra_kwargs(self, item):
        return {"content": item.live_revision.body_html}


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = AtomWithContent
    subtitle = LatestArticlesFeed.description
