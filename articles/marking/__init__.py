"""Recipient marks on the copies a share link serves, and reading them back from a leaked copy.

Pure codecs, no database: ``publishing.marks`` stores marks and marked copies, ``trace_leak``
reads them. Every invisible mark carries the same 48 bits (``payload``); each kind of copy has its
own carrier: zero-width characters in text (``text_fingerprint``), the block-DCT watermark in
images (``image_watermark``, with a visible stamp from ``images``), and a stamped line with the
reference in PDFs (``pdfs``).
"""

import io
from datetime import datetime

from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from articles.marking import images, payload, pdfs, text_fingerprint


def mark_line(*, recipient: str, link_number: int | None, when: datetime, mark_id: int) -> str:
    """The visible line on a marked copy: "Shared with Legal review · link #7 · 1 Dec 2026 · ref …"."""
    parts = [f"Shared with {recipient}"]
    if link_number is not None:
        parts.append(f"link #{link_number}")
    local = timezone.localtime(when)
    parts.append(f"{local.day} {local:%b %Y}")
    parts.append(f"ref {payload.reference(mark_id)}")
    return " · ".join(parts)


class UnsupportedCopy(ValueError):
    """The file is not text, an image or a PDF that can be read, or is too short to carry a mark."""


def read_text(text: str) -> int | None:
    """The mark id in pasted text (a fingerprint, or a visible reference), or None."""
    if text_fingerprint.visible_length(text.strip()) < text_fingerprint.MIN_EXCERPT:
        raise UnsupportedCopy(
            f"the text has {text_fingerprint.visible_length(text.strip())} characters; "
            f"paste at least {text_fingerprint.MIN_EXCERPT} for a mark to be found."
        )
    found = text_fingerprint.find(text)
    return found if found is not None else payload.find_reference(text)


def read_file(data: bytes) -> tuple[str, int | None]:
    """What kind of copy ``data`` is ("PDF", "image" or "text") and the mark id it carries."""
    if data.lstrip()[:5] == b"%PDF-":
        try:
            return "PDF", pdfs.read_mark(data)
        except pdfs.UnreadablePdf as error:
            raise UnsupportedCopy(f"it looks like a PDF but cannot be read: {error}") from error
    try:
        with Image.open(io.BytesIO(data)):
            pass
    except UnidentifiedImageError:
        pass
    else:
        try:
            return "image", images.read_mark(data)
        except (OSError, ValueError) as error:
            raise UnsupportedCopy(f"it looks like an image but cannot be read: {error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedCopy(
            "it is not UTF-8 text, an image (PNG, JPEG, WebP, GIF …) or a PDF."
        ) from None
    return "text", read_text(text)
