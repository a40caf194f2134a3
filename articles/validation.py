"""Upload validation by content, not by name.

An upload is accepted only when its bytes are what its extension says: an image Pillow can open and
verify (PNG, JPEG, WebP, GIF) or a PDF. Everything else, SVG and HTML included, is refused with a
message naming the file and the reason.
"""

import hashlib
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

Image.MAX_IMAGE_PIXELS = settings.EMBARGO_MAX_IMAGE_PIXELS

# extension -> (Pillow format or "PDF", content type)
ACCEPTED_TYPES = {
    "png": ("PNG", "image/png"),
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
    "gif": ("GIF", "image/gif"),
    "pdf": ("PDF", "application/pdf"),
}
ACCEPTED_DESCRIPTION = "PNG, JPEG, WebP or GIF images and PDF documents"


@dataclass(frozen=True)
class UploadFacts:
    original_name: str
    content_type: str
    size: int
    sha256: str


def clean_original_name(name: str) -> str:
    """The display name of an upload: its last path component, without control characters."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255]


def safe_download_name(name: str) -> str:
    """A URL- and header-safe version of an original name, for asset URLs and downloads."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem, dot, ext = ascii_name.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "file"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    return f"{stem[:100]}.{ext.lower()}" if ext else stem[:100]


def inspect_upload(file, name: str) -> UploadFacts:
    """Check an uploaded file's size and content against its name; raise ValidationError if refused."""
    original_name = clean_original_name(name)
    label = f"“{original_name or name}”"
    size = file.size
    if size > settings.EMBARGO_MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"{label} is {filesizeformat(size)}; the upload limit is "
            f"{filesizeformat(settings.EMBARGO_MAX_UPLOAD_BYTES)}.",
            code="too_large",
        )
    if size == 0:
        raise ValidationError(f"{label} is empty.", code="empty")
    extension = original_name.rpartition(".")[2].lower() if "." in original_name else ""
    if extension not in ACCEPTED_TYPES:
        raise ValidationError(
            f"{label} is not accepted: only {ACCEPTED_DESCRIPTION} can be attached "
            "(SVG and HTML can carry script).",
            code="unsupported_type",
        )
    expected_format, content_type = ACCEPTED_TYPES[extension]
    if expected_format == "PDF":
        _check_pdf(file, label)
    else:
        _check_image(file, label, expected_format)
    return UploadFacts(
        original_name=original_name,
        content_type=content_type,
        size=size,
        sha256=_sha256(file),
    )


def _check_pdf(file, label: str) -> None:
    file.seek(0)
    if not file.read(5) == b"%PDF-":
        raise ValidationError(
            f"{label} is named as a PDF but its content is not a PDF document.", code="mismatch"
        )


def _check_image(file, label: str, expected_format: str) -> None:
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                actual_format = image.format
                width, height = image.size
                # Opening reads only the header; refuse before anything decodes the pixels.
                if width * height > settings.EMBARGO_MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError(f"{width}x{height}")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            f"{label} has too many pixels to be processed safely "
            f"(limit {settings.EMBARGO_MAX_IMAGE_PIXELS:,} pixels).",
            code="decompression_bomb",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            f"{label} is not a valid image: its content could not be read as {expected_format}.",
            code="invalid_image",
        ) from None
    if actual_format != expected_format:
        raise ValidationError(
            f"{label} is named as {expected_format} but its content is {actual_format}; "
            "the extension and the content must agree.",
            code="mismatch",
        )


def _sha256(file) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
