"""cms.urls with the article door of issue 10, item 4: it loads the session only for a slug that exists.

So a hidden slug gets ``Vary`` before ``Cache-Control``, and a forged session cookie deleted, where a
missing slug gets neither. Used with MIDDLEWARE lacking SameWorkForEveryRequestMiddleware.
"""

from django.urls import path

from articles import access
from articles.models import Article
from cms.urls import handler404, handler500
from cms.urls import urlpatterns as site_patterns


def article_asking_who_only_when_found(request, slug: str):
    """The broken door: "who is asking?" only once the article is found, as the old code did."""
    if Article.objects.filter(slug=slug).exists():
        request.user.is_authenticated  # noqa: B018  (the bug being reproduced)
    raise access.deny()


urlpatterns = [
    path("articles/<str:slug>/", article_asking_who_only_when_found, name="article"),
    *site_patterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
