"""Responsive copies of image assets: 480/960/1600 px wide, WebP and the original format.

Made with Pillow at upload, right after the (already scrubbed) original is stored, so a revision's
body can be rendered once with its ``srcset`` and no reader's request ever does image work (a
request that resized on demand would also cost more for an existing private image than for a
missing one). Copies are never upscaled; a WebP at the original width is always made, so every
image has a WebP source and its intrinsic size is on record for ``width``/``height``.

A rendition has no visibility of its own: its URL is its asset's URL plus a variant, and the
doors serve it only after ``access.asset_for`` has answered for the asset.
"""

import hashlib
import io
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from articles.models import Asset, Rendition

WIDTHS = (480, 960, 1600)
# content type -> (Pillow format, extension)
ORIGINAL_FORMATS = {
    "image/png": ("PNG", "png"),
    "image/jpeg": ("JPEG", "jpg"),
    "image/webp": ("WEBP", "webp"),
    "image/gif": ("GIF", "gif"),
}
CONTENT_TYPES = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}
EXTENSIONS = {content_type: extension for extension, content_type in CONTENT_TYPES.items()}
WEBP_QUALITY = 80
JPEG_QUALITY = 82
# The reading column is 42rem (672 px at 16 px) wide; below that the image fills the viewport.
BODY_SIZES = "(min-width: 46rem) 42rem, calc(100vw - 2rem)"
CARD_SIZES = "(min-width: 46rem) 14rem, calc(100vw - 2rem)"
VARIANT = re.compile(r"^(?P<width>[1-9][0-9]{0,4})w\.(?P<format>[a-z]{3,4})\Z")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "webp":
        image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    elif fmt == "jpg":
        image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "png":
        image.save(buffer, format="PNG", optimize=True)
    else:
        image.save(buffer, format="GIF")
    return buffer.getvalue()


def plan(width: int, original_format: str) -> list[tuple[int, str]]:
    """The (width, format) copies an image ``width`` px wide gets: never wider than it."""
    copies = []
    for target in WIDTHS:
        if target < width:
            copies.append((target, "webp"))
            if original_format != "webp":
                copies.append((target, original_format))
    copies.append((width, "webp"))
    return copies


def generate(asset: Asset, *, stored: list | None = None) -> list[Rendition]:
    """Make and store ``asset``'s renditions (none for a file that is not a raster image).

    ``stored`` collects the storage names written, so a failed upload can delete them.
    """
    if asset.content_type not in ORIGINAL_FORMATS:
        return []
    _, original_format = ORIGINAL_FORMATS[asset.content_type]
    with asset.file.open("rb") as handle, Image.open(handle) as opened:
        opened.seek(0)  # an animation's first frame
        image = ImageOps.exif_transpose(opened)
        image.load()
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert(
            "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
        )
    width, height = image.size
    made = []
    for target, fmt in plan(width, original_format):
        resized = image
        if target != width:
            resized = image.resize(
                (target, max(1, round(height * target / width))), Image.Resampling.LANCZOS
            )
        data = _encode(resized, fmt)
        rendition = Rendition(
            asset=asset,
            width=resized.width,
            height=resized.height,
            format=fmt,
            content_type=CONTENT_TYPES[fmt],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        rendition.file.save(f"rendition.{fmt}", ContentFile(data), save=False)
        if stored is not None:
            stored.append(rendition.file.name)
        rendition.save()
        made.append(rendition)
    return made


def rendition_of(asset: Asset, variant: str) -> Rendition | None:
    """``asset``'s copy named ``variant`` (e.g. ``960w.webp``), or None."""
    match = VARIANT.match(variant)
    if match is None:
        return None
    return (
        Rendition.objects.filter(asset=asset, width=int(match["width"]), format=match["format"])
        .select_related("asset")
        .first()
    )


@dataclass(frozen=True)
class Picture:
    """What an ``<img>``/``<picture>`` needs for one image asset."""

    src: str
    width: int
    height: int
    srcset: str  # the original format
    webp_srcset: str
    content_type: str


def picture_for(asset: Asset, renditions=None) -> Picture | None:
    """The sources of ``asset``'s picture, or None when it has no renditions (not an image)."""
    if renditions is None:
        renditions = list(asset.renditions.all())
    webp = sorted((r for r in renditions if r.format == "webp"), key=lambda r: r.width)
    if not webp:
        return None
    full = webp[-1]  # the WebP at the original width is always made
    _, original_format = ORIGINAL_FORMATS[asset.content_type]
    same = sorted(
        (r for r in renditions if r.format == original_format and r.width < full.width),
        key=lambda r: r.width,
    )
    original_url = asset.get_absolute_url()
    srcset = [f"{r.get_absolute_url()} {r.width}w" for r in same]
    srcset.append(f"{original_url} {full.width}w")
    return Picture(
        src=original_url,
        width=full.width,
        height=full.height,
        srcset=", ".join(srcset),
        webp_srcset=", ".join(f"{r.get_absolute_url()} {r.width}w" for r in webp),
        content_type=asset.content_type,
    )


_SRCSET = re.compile(r'(?P<attr>srcset=")(?P<value>[^"]*)"')


def through_preview(html: str, preview_token: str) -> str:
    """Point the asset URLs inside ``srcset`` attributes at a share link's own asset door."""
    return _SRCSET.sub(
        lambda m: (
            f'{m["attr"]}{m["value"].replace("/assets/", f"/preview/{preview_token}/assets/")}"'
        ),
        html,
    )
