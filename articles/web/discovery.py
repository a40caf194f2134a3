"""Doors for readers' tools and browsing: tag pages, the tag index, the sitemaps and robots.txt.

Every list here starts from ``Article.objects.published()`` and reads only live revisions, so a tag
that only drafts (or an unpublished edit) carry is, everywhere public, a tag that never existed.
"""

from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles import access
from articles.models import Article, Tag
from articles.web.caching import mark_public
from articles.web.metadata import absolute_url
from articles.web.selectors import paginate, public_listing
from articles.web.sitemaps import SITEMAPS, index_entries

# Paths crawlers have no business in; everything behind them is private or a 404 anyway.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/account/", "/preview/", "/search/")


def public_tags() -> QuerySet:
    """Tag spellings on the live revision of at least one public article."""
    return Tag.objects.filter(
        Exists(Article.objects.published().filter(live_revision__tags=OuterRef("pk")))
    )


def public_tags_with_counts() -> QuerySet:
    """One public spelling per tag slug (the oldest), with ``article_count``: public articles only.

    Spellings of one slug are one tag page: authors who cannot see each other's drafts may spell a
    tag differently (``services._tags_from_names``).
    """
    first_spelling = public_tags().filter(slug=OuterRef("slug")).order_by("pk").values("pk")[:1]
    counts = (
        Article.objects.published()
        .filter(live_revision__tags__slug=OuterRef("slug"))
        .order_by()
        .values("live_revision__tags__slug")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        public_tags()
        .filter(pk=Subquery(first_spelling))
        .annotate(article_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0))
    )


@require_safe
def tag_detail(request, slug: str):
    tag = public_tags().filter(slug=slug).order_by("pk").first()
    if tag is None:
        raise access.deny()
    # Every spelling of the slug; a revision carries at most one tag per slug, so no duplicates.
    page = paginate(request, public_listing().filter(live_revision__tags__slug=slug))
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
@sitemap_views.x_robots_tag
def sitemap_index(request):
    response = TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": index_entries()},
        content_type="application/xml",
    )
    # How many pages there are follows from how many articles are public: each one counts.
    return mark_public(request, response, showing=Article.objects.published())


@require_safe
def sitemap_section(request, section: str):
    response = sitemap_views.sitemap(request, sitemaps=SITEMAPS, section=section)
    shown = [entry["item"] for entry in response.context_data["urlset"]]
    return mark_public(request, response, showing=shown)


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {absolute_url(reverse('sitemap'))}")
    return mark_public(
        request, HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    )
