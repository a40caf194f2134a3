"""Doors for readers' tools and browsing: tag pages, the tag index, the sitemaps and robots.txt.

Every list here starts from ``Article.objects.published()`` and reads only live revisions, so a tag
that only drafts (or an unpublished edit) carry is, everywhere public, a tag that never existed.
"""

from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles import access
from articles.models import Article, Revision, Tag
from articles.web.caching import Summary, mark_public
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


def public_tags_with_counts() -> list[Tag]:
    """One public spelling per tag slug (the oldest), with ``article_count``: public articles only.

    Spellings of one slug are one tag page: authors who cannot see each other's drafts may spell a
    tag differently (``publishing.tags.tags_from_names``). One aggregate over the live revisions of
    public articles counts every tag at once (a revision carries at most one spelling per slug, so
    its revisions are its articles), and one read fetches the spellings: two queries however many
    tags there are.
    """
    per_slug = (
        Revision.tags.through.objects.filter(
            revision__in=Article.objects.published().values("live_revision_id")
        )
        .values("tag__slug")
        .annotate(article_count=Count("revision_id"), first_spelling=Min("tag_id"))
        .order_by()
    )
    counts = {row["first_spelling"]: row["article_count"] for row in per_slug}
    tags = list(Tag.objects.filter(pk__in=counts).order_by("name"))
    for tag in tags:
        tag.article_count = counts[tag.pk]
    return tags


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
    response = render(request, "articles/tag_index.html", {"tags": public_tags_with_counts()})
    # The index names (and counts) every tag of a public article: each such article counts.
    return mark_public(request, response, summarising=Summary.EVERY_TAGGED_ARTICLE)


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
    return mark_public(request, response, summarising=Summary.EVERY_PUBLIC_ARTICLE)


@require_safe
def sitemap_section(request, section: str):
    # A copy: the view's parameter is a dict (invariant) of sitemap classes or instances.
    response = sitemap_views.sitemap(request, sitemaps=dict(SITEMAPS), section=section)
    if response.context_data is None:
        raise ValueError("the sitemap view rendered no context")
    shown = [entry["item"] for entry in response.context_data["urlset"]]
    return mark_public(request, response, showing=shown)


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {absolute_url(reverse('sitemap'))}")
    return mark_public(
        request, HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    )
