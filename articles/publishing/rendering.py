"""Markdown to safe HTML, once per revision.

Raw HTML in Markdown is not passed through: it is shown as text. The rendered HTML is then cleaned by
an allow-list sanitiser (nh3), so script, event handlers, iframes, forms and ``javascript:``/``data:``
URLs cannot survive even if a Markdown extension lets something through. References to attached
files (``![alt](hero.png)``) resolve to the article's own asset URLs; anything else is an error.
"""

import math
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from django.core.exceptions import ValidationError
from markdown.treeprocessors import Treeprocessor

from articles import renditions

ALLOWED_TAGS = {
    "a", "abbr", "picture", "source", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "srcset", "sizes", "width", "height", "loading", "decoding"},
    # Written by ``_AssetReferences`` from the article's own renditions, never by the author.
    "source": {"type", "srcset", "sizes"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
WORDS_PER_MINUTE = 230
ASSET_PATH = re.compile(r"^/assets/(?P<token>[A-Za-z0-9_-]+)/")


@dataclass
class RenderedBody:
    html: str
    reading_minutes: int
    text: str = (
        ""  # what a reader of ``html`` reads: search indexes and quotes this, never ``body``
    )


# Text runs on through these; any other tag (a paragraph, list item, cell, line break) separates words.
INLINE_TAGS = {"a", "abbr", "code", "del", "em", "strong", "sub", "sup"}


class _TextOfHTML(HTMLParser):
    """The text nodes of an HTML fragment, entities decoded; a block boundary becomes a space."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in INLINE_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag not in INLINE_TAGS:
            self.parts.append(" ")


def html_text(html: str) -> str:
    """The plain text a reader sees in ``html``: no tags or attributes, entities decoded.

    Markdown source holds what the page never shows (an unused link-reference definition and its
    title); indexing it would let a search find, and quote, text that is not on the page.
    """
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


class _AssetReferences(Treeprocessor):
    """Rewrite bare file names to asset URLs; collect references that do not belong to the article."""

    def __init__(self, md, assets_by_name: Mapping, assets_by_token: Mapping):
        super().__init__(md)
        self.assets_by_name = assets_by_name
        self.assets_by_token = assets_by_token
        self.errors: list[str] = []
        self.last = None  # the asset the latest reference resolved to

    def run(self, root: ET.Element) -> None:
        images: list[tuple[ET.Element, ET.Element, Any]] = []
        for parent in root.iter():
            for element in parent:
                attribute = {"img": "src", "a": "href"}.get(element.tag)
                value = element.get(attribute) if attribute else None
                if attribute and value is not None:
                    element.set(attribute, self.resolve(value))
                    if element.tag == "img" and self.last is not None:
                        images.append((parent, element, self.last))
        # After the walk: wrapping an image in <picture> changes the tree being iterated.
        for parent, element, asset in images:
            _responsive(parent, element, asset)

    def resolve(self, reference: str) -> str:
        self.last = None
        parts = urlsplit(reference)
        if parts.scheme or parts.netloc or reference.startswith("#"):
            return reference
        if parts.path.startswith("/"):
            if match := ASSET_PATH.match(parts.path):
                asset = self.assets_by_token.get(match["token"])
                if asset is None:
                    self.errors.append(
                        f"“{reference}” is an asset that is not attached to this article."
                    )
                    return ""
                self.last = asset
                return asset.get_absolute_url()
            if parts.path.startswith("/preview/"):
                self.errors.append(f"“{reference}” is a private preview link; it cannot be linked.")
                return ""
            return reference
        name = unquote(parts.path)
        asset = self.assets_by_name.get(name)
        if asset is None:
            self.errors.append(f"“{name}” is referenced in the body but is not attached.")
            return ""
        self.last = asset
        return asset.get_absolute_url()


def _responsive(parent: ET.Element, img: ET.Element, asset) -> None:
    """Give an attached image its renditions: a WebP ``<source>``, ``srcset``, intrinsic size, lazy."""
    picture = renditions.picture_for(asset)
    if picture is None:
        return
    img.set("srcset", picture.srcset)
    img.set("sizes", renditions.BODY_SIZES)
    img.set("width", str(picture.width))
    img.set("height", str(picture.height))
    img.set("loading", "lazy")
    img.set("decoding", "async")
    wrapper = ET.Element("picture")
    wrapper.tail, img.tail = img.tail, None
    source = ET.SubElement(wrapper, "source")
    source.set("type", "image/webp")
    source.set("srcset", picture.webp_srcset)
    source.set("sizes", renditions.BODY_SIZES)
    index = list(parent).index(img)
    parent.remove(img)
    wrapper.append(img)
    parent.insert(index, wrapper)


_converters = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's Markdown converter, reset for a new body.

    Built once per thread: building one (its extensions and patterns) costs more than converting a
    typical body, which an import of thousands of files paid for every file.
    """
    md = getattr(_converters, "markdown", None)
    if md is None:
        md = markdown.Markdown(
            extensions=["tables", "fenced_code", "sane_lists", "toc"],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "toc": {"permalink": False},
            },
            output_format="html",
        )
        # No raw HTML: a Markdown author writes Markdown, and smuggled tags come out as visible text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _converters.markdown = md
    return md.reset()


def _convert(body: str, assets) -> tuple[str, list[str]]:
    """The sanitised HTML of ``body`` and the references that could not be resolved."""
    assets = list(assets)
    md = _converter()
    references = _AssetReferences(
        md,
        assets_by_name={asset.original_name: asset for asset in assets},
        assets_by_token={asset.token: asset for asset in assets},
    )
    md.treeprocessors.register(references, "embargo_asset_references", 5)
    try:
        return sanitise_html(md.convert(body)), references.errors
    finally:
        # The next body brings its own assets; this one's are not kept alive by the thread.
        md.treeprocessors.deregister("embargo_asset_references")


def render_markdown(body: str, *, assets=()) -> RenderedBody:
    """Render and sanitise ``body``; raise ValidationError naming every unresolvable reference."""
    clean_html, errors = _convert(body, assets)
    if errors:
        raise ValidationError({"body": errors})
    words = len(re.findall(r"\w+", body))
    return RenderedBody(
        html=clean_html,
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        text=html_text(clean_html),
    )


def render_preview(body: str, *, assets=()) -> tuple[str, list[str]]:
    """The editor's live preview: the HTML a save would store, and what would stop the save.

    The same renderer and sanitiser as ``render_markdown``; an unresolvable reference renders as
    an empty link or image instead of refusing, so the preview keeps up while the editor types.
    """
    return _convert(body, assets)


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
