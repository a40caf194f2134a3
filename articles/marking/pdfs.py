"""Marked copies of PDFs: every page stamped, the mark's reference in the text and the metadata.

Each page gets, along its bottom edge, the line "Shared with <label> · link #<id> · <date> · ref
EMB-…" drawn by reportlab and merged into the page's content stream by pypdf, so it prints, and
text extraction (and copying from a viewer) returns it. The reference (``payload.reference``) is
also the document's ``/EmbargoMark`` metadata entry. Either one traces the copy.

Standard PDF fonts cover Western European text only; other letters of a label are shown as "?"
(the reference, which tracing reads, is always ASCII).
"""

import io
import unicodedata

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.pdfgen import canvas

from articles.marking import payload

METADATA_KEY = "/EmbargoMark"
FONT = "Helvetica"
FONT_SIZE = 7


def _printable(line: str) -> str:
    """``line`` in the characters the standard fonts have (accents dropped where they must be)."""
    decomposed = unicodedata.normalize("NFKD", line)
    out = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            char = "?"
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _stamp_page(width: float, height: float, line: str):
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(width, height))
    sheet.setFillColorRGB(0.35, 0.35, 0.35)
    size = float(FONT_SIZE)
    while size > 4 and sheet.stringWidth(line, FONT, size) > width - 12:
        size -= 0.5
    sheet.setFont(FONT, size)
    sheet.drawString(6, 6, line)
    sheet.save()
    return PdfReader(buffer).pages[0]


def mark_pdf(data: bytes, *, line: str, mark_id: int) -> bytes:
    """A copy of the PDF ``data`` with every page stamped with ``line`` and the mark's reference."""
    reference = payload.reference(mark_id)
    text = _printable(f"{line} · ref {reference}")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    stamps = {}
    for page in writer.pages:
        box = page.mediabox
        size = (float(box.width), float(box.height))
        if size not in stamps:
            stamps[size] = _stamp_page(*size, text)
        page.merge_translated_page(stamps[size], float(box.left), float(box.bottom))
    # The only entry: the source's were removed at upload, and pypdf's Producer says nothing useful.
    writer.metadata = {METADATA_KEY: reference}
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class UnreadablePdf(ValueError):
    """The file says it is a PDF but cannot be read (damaged, or encrypted with a password)."""


def read_mark(data: bytes) -> int | None:
    """The mark id a PDF carries (its metadata, else the text of any page), or None."""
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted and not reader.decrypt("")
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise UnreadablePdf(str(error) or type(error).__name__) from error
    if encrypted:
        raise UnreadablePdf("it is encrypted with a password")
    try:
        metadata = reader.metadata
        found = payload.find_reference(str(metadata.get(METADATA_KEY, "")) if metadata else "")
        pages = iter(reader.pages)
        while found is None and (page := next(pages, None)) is not None:
            found = payload.find_reference(page.extract_text() or "")
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise UnreadablePdf(str(error) or type(error).__name__) from error
    return found
