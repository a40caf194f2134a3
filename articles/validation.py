"""Upload validation by content, not by name.

An upload is accepted only when its bytes are what its extension says: an image Pillow can open and
verify (PNG, JPEG, WebP, GIF) or a PDF that pypdf can parse, unencrypted and with at least one page.
Everything else, SVG and HTML included, is refused with a message naming the file and the reason.
An accepted file is then stripped of its metadata (``articles.scrubbing``): what is stored, sized
and hashed is the stripped content.
"""

import hashlib
import io
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

from articles.scrubbing import ANIMATED_FORMATS, scrub_image, scrub_pdf

Image.MAX_IMAGE_PIXELS = settings.EMBARGO_MAX_IMAGE_PIXELS
logger = logging.getLogger(__name__)

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
    """An accepted upload: the content to store (metadata removed) and what was removed."""

    original_name: str
    content_type: str
    content: bytes
    removed_metadata: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


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
    file.seek(0)
    data = file.read()  # at most EMBARGO_MAX_UPLOAD_BYTES, checked above
    file.seek(0)
    if expected_format == "PDF":
        content, removed = _clean_pdf(data, label)
    else:
        content, removed = _clean_image(data, label, expected_format)
    return UploadFacts(
        original_name=original_name,
        content_type=content_type,
        content=content,
        removed_metadata=removed,
    )


def _clean_pdf(data: bytes, label: str) -> tuple[bytes, tuple[str, ...]]:
    """``data`` parsed as an unencrypted PDF with pages, and stripped; ValidationError if not."""
    if not data.startswith(b"%PDF-"):
        raise ValidationError(
            f"{label} is named as a PDF but its content is not a PDF document.", code="mismatch"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(
                f"{label} is an encrypted PDF; remove its password protection and upload it again.",
                code="encrypted_pdf",
            )
        if len(reader.pages) == 0:
            raise ValidationError(f"{label} is a PDF without pages.", code="empty_pdf")
        return scrub_pdf(reader, data)
    except ValidationError:
        raise
    # A parser fed hostile bytes can fail in any way (PdfReadError, KeyError, RecursionError …);
    # every one of them means the same thing here: not a document we can vouch for.
    except Exception:
        logger.info("Refused %s as an unreadable PDF", label, exc_info=True)
        raise ValidationError(
            f"{label} starts like a PDF but is not a readable PDF document "
            "(its structure could not be parsed).",
            code="invalid_pdf",
        ) from None


def _clean_image(data: bytes, label: str, expected_format: str) -> tuple[bytes, tuple[str, ...]]:
    """``data`` checked as an image of ``expected_format``, and stripped; ValidationError if not."""
    _check_image(io.BytesIO(data), label, expected_format)
    try:
        return scrub_image(data)
    # verify() reads structure, not every pixel: a corrupt image can fail only here, and (as with
    # PDFs) in any way a decoder fed hostile bytes fails; each is a refusal, never a 500.
    except Exception:
        logger.info("Refused %s as an undecodable image", label, exc_info=True)
        raise ValidationError(
            f"{label} is not a valid image: its content could not be read as {expected_format}.",
            code="invalid_image",
        ) from None


def _check_image(file, label: str, expected_format: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                actual_format = image.format
                width, height = image.size
                # Opening reads only the header; refuse before anything decodes the pixels.
                # Every frame of an animation is decoded when it is stripped, so all of them count.
                frames = getattr(image, "n_frames", 1) if actual_format in ANIMATED_FORMATS else 1
                if width * height * frames > settings.EMBARGO_MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError(f"{frames} x {width}x{height}")
                image.seek(0)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            f"{label} has too many pixels to be processed safely "
            f"(limit {settings.EMBARGO_MAX_IMAGE_PIXELS:,} pixels, every frame of an animation "
            "counted).",
            code="decompression_bomb",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            f"{label} is not a valid image: its content could not be read as {expected_format}.",
            code="invalid_image",
        ) from None
    # A camera's JPEG with extra images (MPF) is an MPO to Pillow; its first image is the photo.
    if actual_format == "MPO" and expected_format == "JPEG":
        return
    if actual_format != expected_format:
        raise ValidationError(
            f"{label} is named as {expected_format} but its content is {actual_format}; "
            "the extension and the content must agree.",
            code="mismatch",
        )
