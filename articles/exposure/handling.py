"""Handling-rule findings: what classification allows, checked against what is out there now."""

from django.conf import settings
from django.db.models import Count, Q

from articles.exposure.report import WARNING, Finding
from articles.models import Article, Classification, PreviewLink


def confidential_link_findings() -> list[Finding]:
    """A warning for each confidential article with more live share links than the limit."""
    limit = settings.EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS
    live = PreviewLink.objects.live().values("pk")
    crowded = (
        Article.objects.filter(classification=Classification.CONFIDENTIAL)
        .annotate(live_links=Count("preview_links", filter=Q(preview_links__in=live)))
        .filter(live_links__gt=limit)
        .order_by("slug")
    )
    return [
        Finding(
            WARNING,
            f"article {article.slug} [confidential]",
            "",
            "share links",
            f"has {article.live_links} live share links, more than "
            f"EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS ({limit}): revoke the ones no longer needed.",
        )
        for article in crowded
    ]
