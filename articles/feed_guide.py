"""``/feeds/``: the human view of the feeds, a page that says what they are and how to follow them.

An HTML page rather than an XSLT stylesheet on the XML: browsers are dropping XSLT, and a feed
reader should get the feed unchanged. The page names no article, so it shows nothing unpublished.
"""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles.web.caching import mark_public


@require_safe
def feed_guide(request):
    # The configured public origin, never the Host header (which a request can choose).
    response = render(request, "articles/feeds.html", {"base_url": settings.EMBARGO_BASE_URL})
    return mark_public(request, response)
