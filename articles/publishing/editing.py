"""The editor's writes between two saves: the autosaved text, and files dropped into the body.

An autosave is overwritten in place (one row per editor and article), so typing never makes a
revision; saving the article, or discarding, deletes it. It is no visibility change, so nothing is
purged; the trail records the first autosave of each editing session (the row's creation), not the
one every few seconds after it, which would bury everything else an article's trail says. A dropped file is attached through ``asset_attach`` only if the article is still
at the version the editor's form was loaded at, so the upload cannot silently build on (and the
next save overwrite) someone else's edit.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from articles.access import has_article_permission
from articles.models import Article, Asset, AuditEvent, Autosave
from articles.publishing import EditConflict, asset_attach
from articles.publishing.audit import audit_record


def _require_change(actor, article: Article) -> None:
    if not has_article_permission(actor, "change_article", article):
        raise PermissionDenied(f"You do not have permission to edit “{article.slug}”.")


def autosave_store(
    *, actor, article: Article, title: str, summary: str, body: str, tags: str
) -> Autosave:
    """Keep ``actor``'s unsaved text of ``article``, replacing their previous autosave."""
    _require_change(actor, article)
    with transaction.atomic():
        autosave, created = Autosave.objects.update_or_create(
            article=article,
            user=actor,
            defaults={
                "title": title,
                "summary": summary,
                "body": body,
                "tags": tags,
                "saved_at": timezone.now(),
            },
        )
        if created:
            audit_record(action=AuditEvent.Action.AUTOSAVE, actor=actor, article=article)
    return autosave


def autosave_discard(*, actor, article: Article) -> None:
    """Forget ``actor``'s autosave of ``article`` (after a save, or when they decline to restore)."""
    if actor is None:
        raise TypeError("autosave_discard needs an actor")
    Autosave.objects.filter(article=article, user=actor).delete()


def autosave_to_offer(user, article: Article) -> Autosave | None:
    """``user``'s autosave of ``article`` if it is newer than the working draft and differs from it."""
    autosave = Autosave.objects.filter(article=article, user=user).first()
    latest = article.latest_revision
    if autosave is None or latest is None or autosave.saved_at <= latest.created_at:
        return None
    saved = (latest.title, latest.summary, latest.body)
    if (autosave.title, autosave.summary, autosave.body) == saved:
        return None
    return autosave


def asset_upload(*, actor, article: Article, name: str, content, expected_version: int) -> Asset:
    """Attach one dropped file, refusing if the article changed since the editor loaded it."""
    _require_change(actor, article)
    with transaction.atomic():
        current = Article.objects.select_for_update().filter(
            pk=article.pk, version=expected_version
        )
        if not current.exists():
            raise EditConflict(
                f"“{article.slug}” was changed by someone else after you opened it, so "
                f"“{name}” was not attached. Copy your text, reload the page and drop the file again.",
                code="edit_conflict",
            )
        return asset_attach(actor=actor, article=article, name=name, content=content)
