"""Marked copies of images: a visible stamp along the bottom edge and the invisible watermark.

The copy is made from the stored file (already free of metadata), turned upright as a browser shows
it, stamped, watermarked (``image_watermark``) and saved again in its own format, except that a GIF
becomes a PNG (a GIF's palette would quantise the watermark away) and an animation keeps only its
first frame. JPEG and WebP copies are saved at quality 90, so that the watermark still reads after
the reader's browser or a leaker re-encodes them (tested down to JPEG quality 60).
"""

import io

from PIL import Image, ImageDraw, ImageFont, ImageOps

from articles.marking import image_watermark

# Pillow format, content type and extension of the copy, by the content type of its source.
COPY_FORMATS = {
    "image/png": ("PNG", "image/png", "png"),
    "image/jpeg": ("JPEG", "image/jpeg", "jpg"),
    "image/webp": ("WEBP", "image/webp", "webp"),
    "image/gif": ("PNG", "image/png", "png"),
}
QUALITY = 90
MIN_FONT, MAX_FONT = 9, 22


def _font_for(
    draw: ImageDraw.ImageDraw, line: str, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font (within bounds) whose rendering of ``line`` fits ``width`` with margins."""
    size = MAX_FONT
    while True:
        font = ImageFont.load_default(size=size)
        if size <= MIN_FONT or draw.textlength(line, font=font) <= width - 2 * (size // 2):
            return font
        size -= 1


def stamp(image: Image.Image, line: str) -> Image.Image:
    """``image`` with ``line`` written in white on a dark band along its bottom edge."""
    base = image.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = _font_for(draw, line, base.width)
    size = getattr(font, "size", MIN_FONT)  # a bitmap font (Pillow without FreeType) has none
    band = round(size * 1.6)
    draw.rectangle((0, base.height - band, base.width, base.height), fill=(0, 0, 0, 150))
    draw.text(
        (size // 2, base.height - band / 2),
        line,
        font=font,
        fill=(255, 255, 255, 235),
        anchor="lm",
    )
    stamped = Image.alpha_composite(base, overlay)
    return stamped if image.mode == "RGBA" else stamped.convert("RGB")


def mark_image(data: bytes, content_type: str, *, line: str, mark_id: int) -> tuple[bytes, str]:
    """A marked copy of the image ``data``: its bytes and content type."""
    pillow_format, copy_type, _ = COPY_FORMATS[content_type]
    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)
        image = ImageOps.exif_transpose(opened)
        image.load()
    keeps_alpha = pillow_format != "JPEG" and (
        "A" in image.getbands() or "transparency" in image.info
    )
    image = image.convert("RGBA" if keeps_alpha else "RGB")
    marked = image_watermark.embed(stamp(image, line), mark_id)
    buffer = io.BytesIO()
    if pillow_format == "PNG":
        marked.save(buffer, format="PNG", optimize=True)
    else:
        marked.save(buffer, format=pillow_format, quality=QUALITY)
    return buffer.getvalue(), copy_type


def read_mark(data: bytes) -> int | None:
    """The watermark's mark id in the image ``data`` (any format Pillow reads), or None."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)
        image = opened.convert("RGB")
    return image_watermark.extract(image)
