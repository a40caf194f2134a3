"""Doors for readers' tools and browsing: tag pages, the tag index, the sitemap and robots.txt.

Every list here starts from ``Article.objects.published()`` and reads only live revisions, so a tag
that only drafts (or an unpublished edit) carry is, everywhere public, a tag that never existed.
"""

from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles import access
from articles.caching import mark_public
from articles.metadata import absolute_url
from articles.models import Article, Tag
from articles.sitemaps import SITEMAPS
from articles.views import paginate, public_listing

# Paths crawlers have no business in; everything behind them is private or a 404 anyway.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/account/", "/preview/", "/search/")


def public_tags() -> QuerySet:
    """Tags on the live revision of at least one public article."""
    return Tag.objects.filter(
        Exists(Article.objects.published().filter(live_revision__tags=OuterRef("pk")))
    )


def public_tags_with_counts() -> QuerySet:
    """``public_tags()`` annotated with ``article_count``: public articles only, drafts never."""
    counts = (
        Article.objects.published()
        .filter(live_revision__tags=OuterRef("pk"))
        .order_by()
        .values("live_revision__tags")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return public_tags().annotate(
        article_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0)
    )


@require_safe
def tag_detail(request, slug: str):
    tag = public_tags().filter(slug=slug).first()
    if tag is None:
        raise access.deny()
    page = paginate(request, public_listing().filter(live_revision__tags=tag))
    response = render(request, "articles/tag.html", {"tag": tag, "page_obj": page})
    return mark_public(request, response, showing=page.object_list)


@require_safe
def tag_index(request):
    tags = public_tags_with_counts().order_by("name")
    response = render(request, "articles/tag_index.html", {"tags": tags})
    # The index names (and counts) every tag of a public article: each such article counts.
    tagged = Article.objects.published().filter(live_revision__tags__isnull=False)
    return mark_public(request, response, showing=tagged)


@require_safe
def sitemap(request):
    response = sitemap_views.sitemap(request, sitemaps=SITEMAPS)
    return mark_public(request, response, showing=Article.objects.published())


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {absolute_url(reverse('sitemap'))}")
    return mark_public(
        request, HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    )
