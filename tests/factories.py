"""Small helpers that build test data through the services, so tests start from real states."""

import io
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from articles import services
from articles.models import Article, Status


def make_user(username: str, *, groups: tuple[str, ...] = (), perms: tuple[str, ...] = ()) -> User:
    """A user in the named role groups, holding the named global ``articles`` permissions."""
    user = User.objects.create_user(username=username)
    user.groups.add(*Group.objects.filter(name__in=groups))
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename__in=perms)
    )
    if groups and user.groups.count() != len(groups):
        raise LookupError(f"Not every group in {groups} exists; did the roles migration run?")
    return user


def png_bytes(name: str = "hero.png", colour: str = "red") -> SimpleUploadedFile:
    """A small valid PNG upload (its bytes differ by ``colour``)."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_bytes(name: str = "card.pdf") -> SimpleUploadedFile:
    """A tiny upload that passes the PDF signature check."""
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def make_article(
    slug: str,
    *,
    status: str = Status.DRAFT,
    title: str | None = None,
    body: str = "Body text.",
    files: tuple = (),
    actor=None,
    **fields,
) -> Article:
    """An article in ``status``, reached through the services (the shell publishes and schedules).

    ``fields`` go to ``article_create`` as they are (``summary``, ``tags`` …).
    """
    article = services.article_create(
        actor=actor,
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        body=body,
        files=[(upload.name, upload) for upload in files],
        **fields,
    )
    if status == Status.IN_REVIEW:
        services.article_submit(actor=None, article=article)
    elif status == Status.SCHEDULED:
        services.article_schedule(
            actor=None, article=article, publish_at=timezone.now() + timedelta(days=1)
        )
    elif status in (Status.PUBLISHED, Status.WITHDRAWN):
        services.article_publish(actor=None, article=article)
        if status == Status.WITHDRAWN:
            services.article_withdraw(actor=None, article=article)
    article.refresh_from_db()
    return article
