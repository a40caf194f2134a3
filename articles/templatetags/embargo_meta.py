"""Template tags for discovery: a public article's page metadata, pagination links, date-times."""

from django import template

from articles.web.datetimes import machine_datetime
from articles.web.metadata import article_metadata

register = template.Library()
# ``{{ moment|machine_datetime }}`` for ``<time datetime>`` and ``content`` attributes.
register.filter("machine_datetime", machine_datetime)


@register.inclusion_tag("articles/_meta.html", takes_context=True)
def article_meta(context) -> dict:
    """OpenGraph, Twitter and JSON-LD tags for the article page in ``context``; nothing if not public."""
    meta = article_metadata(
        context["article"], context["revision"], is_public=bool(context.get("is_public"))
    )
    return {"meta": meta}


@register.simple_tag(takes_context=True)
def page_query(context, number: int) -> str:
    """The query string for page ``number`` of this listing, keeping its other parameters (``q``)."""
    params = context["request"].GET.copy()
    params["page"] = number
    return params.urlencode()
