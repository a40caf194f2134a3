"""Removing what an upload says about its author: EXIF, XMP, text chunks, PDF document information.

A photo's EXIF carries where it was taken (GPS), with what (Make, Model, serial numbers) and how it
was edited (Software); a PDF's Info dictionary and XMP name its author and the tools that made it.
All of it would become public with the article, so it is removed at upload. What is kept is what
the picture needs to look right: its pixels, its ICC colour profile and its EXIF Orientation.

A file that carries nothing to remove is stored as it came: a JPEG or a lossy WebP is re-encoded
only when it has to be, so a clean photo keeps its quality and a cleaned one is stable when it is
uploaded again (an export and re-import stores the same bytes).
"""

import io

from PIL import ExifTags, Image, JpegImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# Image.info keys that describe how to draw the picture, not who made it.
_DRAWING_INFO = {
    "icc_profile",
    "exif",  # inspected tag by tag below
    "dpi",
    "transparency",
    "gamma",
    "srgb",
    "chromaticity",
    "aspect",
    "loop",
    "duration",
    "background",
    "version",
    "disposal",
    "blend",
    "default_image",
    "interlace",
    "progressive",
    "progression",
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "adobe",
    "adobe_transform",
    "extension",  # GIF's NETSCAPE2.0 loop block; XMP in GIF arrives as "xmp"
}
# Formats whose frames are one animation (an MPO's further frames are separate pictures).
ANIMATED_FORMATS = ("GIF", "PNG", "WEBP")
# Kept on the rebuilt frames because the animation needs them.
_FRAME_INFO = ("transparency", "duration", "loop", "background", "disposal", "blend")
_INFO_LABELS = {
    "xmp": "XMP metadata",
    "XML:com.adobe.xmp": "XMP metadata",
    "comment": "comment",
    "photoshop": "Photoshop/IPTC data",
    "mp": "MPF (extra images)",
}
# JPEG segments Pillow exposes in ``applist``, by their identifier, and what they are.
_JPEG_KEPT_SEGMENTS = ((b"APP0", b"JFIF\x00"), (b"APP2", b"ICC_PROFILE"), (b"APP14", b"Adobe"))
_JPEG_SEGMENT_LABELS = {
    b"http://ns.adobe.com/xap/1.0/": "XMP metadata",
    b"http://ns.adobe.com/xmp/extension/": "XMP metadata",
    b"Photoshop 3.0": "Photoshop/IPTC data",
    b"JFXX": "JFIF thumbnail",
    b"MPF": "MPF (extra images)",
}
_ORIENTATION = ExifTags.Base.Orientation
# PDF keys that hold metadata wherever they appear (catalog, pages, images, forms).
_PDF_METADATA_KEYS = {"/Metadata": "XMP metadata", "/PieceInfo": "application private data"}


def _unique(labels) -> tuple[str, ...]:
    return tuple(dict.fromkeys(labels))


def _exif_labels(exif: Image.Exif) -> list[str]:
    """Names of every EXIF field except Orientation; GPS as "GPS position", a thumbnail as such."""
    labels = []
    for tag in exif:
        if tag == _ORIENTATION:
            continue
        if tag == ExifTags.IFD.GPSInfo:
            labels.append("GPS position")
        elif tag == ExifTags.IFD.Exif:  # the camera's sub-IFD: exposure, lens, serial numbers …
            sub_ifd = exif.get_ifd(ExifTags.IFD.Exif)
            labels += [ExifTags.TAGS.get(t, f"EXIF tag {t:#06x}") for t in sub_ifd] or ["EXIF"]
        else:
            labels.append(ExifTags.TAGS.get(tag, f"EXIF tag {tag:#06x}"))
    if exif.get_ifd(ExifTags.IFD.IFD1):
        labels.append("embedded thumbnail")
    return labels


def _jpeg_segment_labels(image: Image.Image) -> list[str]:
    labels = []
    for marker, data in getattr(image, "applist", []):
        marker = marker.encode() if isinstance(marker, str) else marker
        if any(marker == m and data.startswith(ident) for m, ident in _JPEG_KEPT_SEGMENTS):
            continue
        if marker == b"APP1" and data.startswith(b"Exif\x00"):
            continue  # inspected tag by tag
        if marker == b"COM":
            labels.append("comment")
            continue
        identifier = data.split(b"\x00", 1)[0]
        labels.append(
            _JPEG_SEGMENT_LABELS.get(identifier)
            or f"{marker.decode()} segment ({identifier[:40].decode('latin-1')})"
        )
    return labels


def image_metadata(image: Image.Image) -> tuple[str, ...]:
    """What ``image`` carries besides its pixels, ICC profile and orientation, as readable labels."""
    labels = _exif_labels(image.getexif())
    labels += _jpeg_segment_labels(image)
    text = getattr(image, "text", {})  # PNG tEXt/zTXt/iTXt chunks
    for key in image.info:
        if key in _DRAWING_INFO:
            continue
        if key in _INFO_LABELS:
            labels.append(_INFO_LABELS[key])
        elif key in text:
            labels.append(f"PNG text “{key}”")
        else:
            labels.append(str(key))
    return _unique(labels)


def _webp_is_lossless(data: bytes) -> bool:
    """Whether the first image chunk of a WebP (RIFF) file is VP8L, WebP's lossless coding."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], "little"),
        )
        if fourcc in (b"VP8 ", b"VP8L"):
            return fourcc == b"VP8L"
        # An animation frame (ANMF) holds its image chunk after a 16-byte frame header.
        offset += 8 + 16 if fourcc == b"ANMF" else 8 + size + (size & 1)
    return False


def _save_options(image: Image.Image, data: bytes) -> dict:
    """Encoder options that keep the picture as it was: ICC profile, orientation, quality, frames."""
    options = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    orientation = image.getexif().get(_ORIENTATION)
    if orientation not in (None, 1):
        kept = Image.Exif()
        kept[_ORIENTATION] = orientation
        options["exif"] = kept.tobytes()
    if image.format in ANIMATED_FORMATS and getattr(image, "n_frames", 1) > 1:
        options["save_all"] = True
    if isinstance(image, JpegImagePlugin.JpegImageFile):  # JPEG, and MPO (its subclass)
        # The original quantisation tables and subsampling: the closest re-encoding there is.
        # (Given explicitly: Pillow's quality="keep" refuses an MPO, which is a JPEG all the same.)
        options.update(
            qtables=image.quantization,
            subsampling=JpegImagePlugin.get_sampling(image),
            progressive="progression" in image.info,
        )
    elif image.format == "WEBP":
        options.update(lossless=True) if _webp_is_lossless(data) else options.update(quality=90)
    return options


def scrub_image(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """The image re-encoded without its metadata (or unchanged if it has none), and what went."""
    with Image.open(io.BytesIO(data)) as image:
        removed = image_metadata(image)
        if not removed:
            return data, ()
        options = _save_options(image, data)
        # The encoders copy some info keys (comments, XMP) into the output: keep only drawing ones.
        image.info = {key: image.info[key] for key in _FRAME_INFO if key in image.info}
        out = io.BytesIO()
        # A phone's MPO (a JPEG with extra images: depth map, gain map, preview) keeps its first.
        image.save(out, format="JPEG" if image.format == "MPO" else image.format, **options)
    return out.getvalue(), removed


def _strip_pdf_objects(writer: PdfWriter) -> list[str]:
    """Remove XMP streams and private application data from every object reachable from the root."""
    labels = []
    seen: set[int] = set()
    pending = [writer.root_object]
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key, label in _PDF_METADATA_KEYS.items():
                if key in obj:
                    del obj[key]
                    labels.append(label)
            pending.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)
    return labels


def scrub_pdf(reader: PdfReader, data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """The PDF rewritten without its Info dictionary and XMP (unchanged if it has none), and what went."""
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    labels = [
        f"document {key.lstrip('/')}" for key, value in info.items() if value not in ("", None)
    ]
    writer = PdfWriter(clone_from=reader)
    labels += _strip_pdf_objects(writer)
    removed = _unique(labels)
    if not removed:
        return data, ()
    writer.metadata = None
    # The detached Info dictionary and XMP streams are still objects of the file until dropped.
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), removed


def removal_message(name: str, removed) -> str:
    """One line telling the editor what was stripped from ``name``, for the admin and commands."""
    return f"“{name}”: removed {', '.join(removed)} before storing it (nothing else changed)."
