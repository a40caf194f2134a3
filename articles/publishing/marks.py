"""Marks and marked copies: what a share link (or, for restricted work, a reader) is served.

A mark is made the first time its recipient is served something and is never deleted: it is what
``trace_leak`` finds. A marked copy is made the first time its recipient asks for that file, stored
privately under a random key like every asset file, and deleted (row now, file once the change has
committed) as soon as the link stops working: revoked, ended with its creator's access or its
article's embargo, or expired (``publish_scheduled`` clears those); a reader's, as soon as they
can no longer see the article: their grant or their group's taken away, a group left, a global
permission or their superuser status lost, their account deactivated or deleted.

Callers have asked ``access`` first: nothing here decides who may have a file.
"""

import hashlib
import logging
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import marking
from articles.access.policy import Actor
from articles.marking import images, pdfs
from articles.models import Article, Asset, AuditEvent, Mark, MarkedCopy, PreviewLink, Rendition
from articles.publishing.audit import audit_record
from articles.storage import asset_storage

logger = logging.getLogger("embargo.health")

MARKABLE = {*images.COPY_FORMATS, "application/pdf"}


def _issuer(link: PreviewLink) -> str:
    if link.issued_by_shell:
        return "the shell (manage.py)"
    return link.created_by.get_username() if link.created_by else "a deleted account"


def mark_for(recipient: PreviewLink | User, *, article=None) -> Mark:
    """The mark of a share link, or of a signed-in reader of ``article``; made on first use."""
    if isinstance(recipient, PreviewLink):
        link = recipient
        mark, _ = Mark.objects.get_or_create(
            preview_link=link,
            defaults={
                "article": link.article,
                "article_slug": link.article.slug,
                "recipient": link.label,
                "link_number": link.pk,
                "issued_by": _issuer(link),
                "issued_at": link.created_at,
            },
        )
        return mark
    if article is None:
        raise ValueError("A reader's mark is for one article: pass article=.")
    mark, _ = Mark.objects.get_or_create(
        reader=recipient,
        article=article,
        defaults={"article_slug": article.slug, "recipient": recipient.get_username()},
    )
    return mark


def mark_line(mark: Mark) -> str:
    """The visible line every copy for ``mark`` carries."""
    return marking.mark_line(
        recipient=mark.recipient,
        link_number=mark.link_number,
        when=mark.issued_at or mark.created_at,
        mark_id=mark.pk,
    )


def _marked_bytes(source, content_type: str, mark: Mark) -> tuple[bytes, str]:
    with source.file.open("rb") as handle:
        data = handle.read()
    if content_type == "application/pdf":
        return pdfs.mark_pdf(data, line=mark_line(mark), mark_id=mark.pk), content_type
    return images.mark_image(data, content_type, line=mark_line(mark), mark_id=mark.pk)


def marked_copy(
    asset: Asset,
    recipient: PreviewLink | User,
    *,
    rendition: Rendition | None = None,
) -> MarkedCopy:
    """``asset`` (or its ``rendition``) as marked for ``recipient``: made and stored on first request.

    The caller has already been told by ``access`` that ``recipient`` may have the file. Serve the
    copy like the asset (``file``, ``content_type``, ``size``), always as private.
    """
    if asset.content_type not in MARKABLE:
        # A link never serves a file unmarked: a newly accepted type needs a marker first.
        raise ValueError(f"{asset.content_type} files cannot be marked.")
    mark = mark_for(recipient, article=asset.article)
    variant = rendition.variant if rendition is not None else ""
    found = MarkedCopy.objects.filter(mark=mark, asset=asset, variant=variant).first()
    if found is not None:
        return found
    source = rendition or asset
    data, content_type = _marked_bytes(source, source.content_type, mark)
    copy = MarkedCopy(
        mark=mark,
        asset=asset,
        variant=variant,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    copy.file.save("marked", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        # Another request made the same copy first: keep theirs, drop ours.
        _delete_files([str(copy.file.name)])
        return MarkedCopy.objects.get(mark=mark, asset=asset, variant=variant)
    return copy


def mark_traced(*, actor: Actor, mark: Mark, kind: str) -> AuditEvent:
    """Record that a leaked ``kind`` (text, image, PDF) was traced to ``mark``: naming a copy's
    recipient is itself a disclosure, so the trail says who asked and whom it named."""
    with transaction.atomic():
        return audit_record(
            action=AuditEvent.Action.TRACE,
            actor=actor,
            article=mark.article,
            detail={
                "mark": mark.pk,
                "kind": kind,
                "recipient": mark.recipient,
                "article": mark.article_slug,
                "link": mark.link_number,
            },
        )


def _delete_files(names: list[str]) -> None:
    storage = asset_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception as error:
            # The row is gone already, so the file is an orphan that gc_assets lists and removes.
            logger.warning(
                "could not delete a marked copy; see manage.py gc_assets",
                extra={"component": "storage", "error": repr(error)},
            )


def _copies_delete(copies) -> int:
    """Delete the ``copies`` rows now and their files once the surrounding change commits."""
    names = list(copies.values_list("file", flat=True))
    copies.delete()
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    return len(names)


def marked_copies_delete(*, links) -> int:
    """Delete the marked copies made for ``links`` (link ids or a queryset); the marks stay.

    Call it inside the change that ends the links: the rows go with it, the files once it commits.
    """
    return _copies_delete(MarkedCopy.objects.filter(mark__preview_link__in=links))


def reader_copies_delete(*, article, readers) -> int:
    """Delete the copies of ``article``'s files marked for ``readers``, who are losing it.

    Call it inside the revoke: the rows go with it, the files once it commits. A reader who still
    reaches the article another way (a group, a global grant) gets a fresh copy on the next request.
    """
    return _copies_delete(
        MarkedCopy.objects.filter(mark__article=article, mark__reader__in=readers)
    )


def reader_copies_delete_where_access_lost(*, readers: Iterable[User]) -> int:
    """Delete the copies marked for each of ``readers`` of every article they can no longer see.

    For changes that reach every article at once: a group left or emptied, a global permission or
    superuser status taken away, an account deactivated. Call it inside the change, after it is
    made and with each reader's status flags as they now are (the access rule reads them from the
    object): the rows go with it, the files once it commits. Copies of articles still visible
    (through another group, a grant of their own, or because the article is now public) stay.
    """
    readers = list(readers)
    # One query for the usual case: most people were never served a marked copy.
    with_copies = set(
        MarkedCopy.objects.filter(mark__reader__in=readers).values_list("mark__reader", flat=True)
    )
    deleted = 0
    for reader in readers:
        if reader.pk in with_copies:
            still_visible = Article.objects.visible_to(reader).values("pk")
            deleted += _copies_delete(
                MarkedCopy.objects.filter(mark__reader=reader).exclude(
                    mark__article__in=still_visible
                )
            )
    return deleted


def reader_copies_delete_all(*, reader: User) -> int:
    """Delete every copy marked for ``reader``, whose account is being deleted; the marks stay."""
    return _copies_delete(MarkedCopy.objects.filter(mark__reader=reader))


def marked_copies_of_ended_links_delete() -> int:
    """Delete the copies of every link that no longer works (expired, revoked, creator's access lost)."""
    live = PreviewLink.objects.live(now=timezone.now()).values("pk")
    ended = Mark.objects.filter(preview_link__isnull=False).exclude(preview_link__in=live)
    with transaction.atomic():
        return marked_copies_delete(links=ended.values("preview_link"))
