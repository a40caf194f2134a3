"""``{% picture asset %}``: an image asset as ``<picture>`` with its renditions.

The caller passes only an asset the page may show (a live revision's for public pages); the URLs
go through the asset doors, which check again. On a share preview every URL goes through the
link's own asset door instead, so the reader needs no account.
"""

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from articles import renditions

register = template.Library()
SIZES = {"body": renditions.BODY_SIZES, "card": renditions.CARD_SIZES, "header": "100vw"}


@register.simple_tag
def picture(asset, sizes: str = "body", preview_token: str | None = None, eager: bool = False):
    """The ``<picture>`` for ``asset`` (alt text empty: a featured image sits beside its title)."""
    found = renditions.picture_for(asset) if asset is not None else None
    if found is None:
        return ""
    html = format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="" '
        'loading="{}" decoding="async"></picture>',
        found.webp_srcset,
        SIZES[sizes],
        found.src,
        found.srcset,
        SIZES[sizes],
        found.width,
        found.height,
        "eager" if eager else "lazy",
    )
    if preview_token:
        # The token is a URL-safe signed string; ``replace`` drops the safe mark, so restore it.
        door = f"/preview/{escape(preview_token)}/assets/"
        html = mark_safe(html.replace("/assets/", door))  # noqa: S308
    return html
