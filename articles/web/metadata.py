"""What a published article tells link previews and search engines: OpenGraph, Twitter, JSON-LD.

Built only from a public article's live revision; ``og:image`` comes from ``Asset.objects.public()``,
so a draft's image can never be named. Non-public pages get none of it (see ``article_metadata``).
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, When
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from articles.models import Article, Asset, Revision
from articles.web.datetimes import machine_datetime

SITE_NAME = "Embargo"
DESCRIPTION_WORDS = 40
# The same escapes as Django's ``json_script``: no "<", ">" or "&" survives, so "</script>" in a
# title cannot end the data block early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def absolute_url(path: str) -> str:
    """``path`` on the site's configured public origin (``EMBARGO_BASE_URL``), never the Host header."""
    return f"{settings.EMBARGO_BASE_URL}{path}"


def json_ld_script(data: dict) -> SafeString:
    """A ``<script type="application/ld+json">`` data block, escaped like ``json_script``."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _JSON_SCRIPT_ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


def live_revision_of(article: Article) -> Revision:
    """The live revision of a public article, which the rule says every public article has."""
    if article.live_revision is None:
        raise ValueError(f"“{article.slug}” has no live revision: it is not public.")
    return article.live_revision


def public_image(article: Article) -> Asset | None:
    """The live revision's featured image, else its first image; only ever a public asset."""
    featured_id = live_revision_of(article).featured_image_id
    featured_first = Case(When(pk=featured_id or 0, then=0), default=1)
    return (
        Asset.objects.public()
        .filter(article=article, content_type__startswith="image/")
        .order_by(featured_first, "created_at", "pk")
        .first()
    )


def public_last_modified(article: Article) -> datetime:
    """When a public article last changed for readers: its publication or its live revision's save.

    Not ``updated_at``: that moves with unpublished edits, and would tell readers a draft exists.
    """
    created_at = live_revision_of(article).created_at
    return max(article.published_at, created_at) if article.published_at else created_at


def description_of(revision: Revision) -> str:
    """The summary, or else the opening words of the rendered body as plain text."""
    if revision.summary:
        return revision.summary
    return Truncator(strip_tags(revision.body_html)).words(DESCRIPTION_WORDS)


@dataclass(frozen=True)
class ArticleMetadata:
    title: str
    description: str
    url: str
    published_at: datetime
    author_name: str
    tags: list[str]
    image_url: str | None
    json_ld: SafeString = field(repr=False)


def article_metadata(
    article: Article, revision: Revision, *, is_public: bool
) -> ArticleMetadata | None:
    """Metadata for a public article's live revision; None for anything else (drafts, previews)."""
    published_at = article.published_at
    if not is_public or revision.pk != article.live_revision_id or published_at is None:
        return None
    image = public_image(article)
    url = absolute_url(article.get_absolute_url())
    image_url = absolute_url(image.get_absolute_url()) if image is not None else None
    tags = [tag.name for tag in revision.tags.all()]
    description = description_of(revision)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": revision.title,
        "description": description,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": machine_datetime(published_at),
        "dateModified": machine_datetime(public_last_modified(article)),
        "author": {"@type": "Person", "name": article.author_name},
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if tags:
        data["keywords"] = tags
    if image_url:
        data["image"] = [image_url]
    return ArticleMetadata(
        title=revision.title,
        description=description,
        url=url,
        published_at=published_at,
        author_name=article.author_name,
        tags=tags,
        image_url=image_url,
        json_ld=json_ld_script(data),
    )
