"""Small helpers that build test data through the services, so tests start from real states."""

import io
import random
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image, ImageCms
from pypdf import PdfWriter

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Status


def make_user(username: str, *, groups: tuple[str, ...] = (), perms: tuple[str, ...] = ()) -> User:
    """A user in the named role groups, holding the named global ``articles`` permissions."""
    user = User.objects.create_user(username=username)
    _add_groups(user, groups)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename__in=perms)
    )
    return user


def staff(
    username: str, *groups: str, superuser: bool = False, perms: tuple[str, ...] = ()
) -> User:
    """A staff member in the named role groups, holding the named global permissions
    (``app_label.codename``, any app's)."""
    # No password: tests sign in with force_login, and hashing one is most of a test's time.
    user = User.objects.create_user(username=username, is_staff=True, is_superuser=superuser)
    _add_groups(user, groups)
    user.user_permissions.add(*(permission(label) for label in perms))
    return user


def permission(label: str) -> Permission:
    """The permission ``app_label.codename``."""
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _add_groups(user: User, groups: tuple[str, ...]) -> None:
    user.groups.add(*Group.objects.filter(name__in=groups))
    if groups and user.groups.count() != len(groups):
        raise LookupError(f"Not every group in {groups} exists; did the roles migration run?")


def png_data(colour: str = "red", size: tuple[int, int] = (4, 4)) -> bytes:
    """The bytes of a valid PNG of one colour (they differ by ``colour`` and ``size``)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(
    name: str = "hero.png", colour: str = "red", size: tuple[int, int] = (4, 4)
) -> SimpleUploadedFile:
    """A valid PNG upload named ``name``, as a browser or the services receive one."""
    return SimpleUploadedFile(name, png_data(colour, size), content_type="image/png")


def pdf_bytes(name: str = "card.pdf") -> SimpleUploadedFile:
    """A real one-page PDF without metadata (pypdf's own Producer entry removed), so it is stored as is."""
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.metadata = None
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif() -> Image.Exif:
    """EXIF as a phone writes it: where (GPS), with what (Make, Model), how (Software), which way up."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R5"
    exif[ExifTags.Base.Software] = "SecretEditor 2.1"
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 30.1)
    return exif


def tagged_image(image_format: str, **extra) -> bytes:
    """A 16x8 photo-like (noisy) image with camera EXIF, an sRGB profile and XMP, as a phone saves it.

    Noise, not a flat colour: re-encoding a flat JPEG happens to give the same bytes, a photo never.
    """
    noise = random.Random(16).randbytes(16 * 8 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (16, 8), noise).save(
        buffer,
        format=image_format,
        exif=camera_exif(),
        icc_profile=SRGB_PROFILE,
        xmp=b"<x:xmpmeta><rdf:Description creator='secret-xmp'/></x:xmpmeta>",
        **extra,
    )
    return buffer.getvalue()


def make_article(
    slug: str,
    *,
    status: str = Status.DRAFT,
    title: str | None = None,
    body: str = "Body text.",
    files: tuple = (),
    actor=SYSTEM,
    **fields,
) -> Article:
    """An article in ``status``, reached through the services (the shell publishes and schedules).

    ``fields`` go to ``article_create`` as they are (``summary``, ``tags`` …).
    """
    article = publishing.article_create(
        actor=actor,
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        body=body,
        files=[(upload.name, upload) for upload in files],
        **fields,
    )
    if status == Status.IN_REVIEW:
        publishing.article_submit(actor=SYSTEM, article=article)
    elif status == Status.SCHEDULED:
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=timezone.now() + timedelta(days=1)
        )
    elif status in (Status.PUBLISHED, Status.WITHDRAWN):
        publishing.article_publish(actor=SYSTEM, article=article)
        if status == Status.WITHDRAWN:
            publishing.article_withdraw(actor=SYSTEM, article=article)
    article.refresh_from_db()
    return article
