"""Deleting a draft that was never published: the one way an article goes away for good.

An article that was ever public may still be in a reader's bookmarks, a feed reader or a search
engine, and its trail says who saw it; it is withdrawn, never deleted. A draft nobody outside its
collaborators ever read may be deleted by whoever may change it, with its revisions, share links
and files. The audit event keeps its slug and title after the article row is gone.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from articles.access.policy import has_article_permission
from articles.models import Article, AuditEvent, MarkedCopy, Rendition
from articles.publishing.audit import audit_record
from articles.publishing.files import delete_stored_files


def never_published(article: Article) -> bool:
    """Whether ``article`` was never public: no publication time and no live revision."""
    return article.published_at is None and article.live_revision_id is None


def article_delete_draft(*, actor, article: Article) -> None:
    """Delete a never-published ``article`` with its revisions, links and files, audited."""
    if not has_article_permission(actor, "change_article", article):
        raise PermissionDenied(f"You do not have permission to delete “{article.slug}”.")
    with transaction.atomic():
        locked = (
            Article.objects.select_for_update(of=("self",))
            .select_related("latest_revision")
            .get(pk=article.pk)
        )
        if not never_published(locked):
            raise ValidationError(
                f"“{locked.slug}” was published once, so it cannot be deleted; withdraw it instead."
            )
        assets = list(locked.assets.all())
        renditions = Rendition.objects.filter(asset__in=assets).values_list("file", flat=True)
        # The copies marked for its readers and links are its files too: whole images and PDFs.
        marked = MarkedCopy.objects.filter(asset__in=assets).values_list("file", flat=True)
        stored = [
            name for name in [*(asset.file.name for asset in assets), *renditions, *marked] if name
        ]
        audit_record(
            action=AuditEvent.Action.DRAFT_DELETE,
            actor=actor,
            article=locked,
            detail={
                "title": locked.latest_revision.title if locked.latest_revision else "",
                "revisions": locked.revisions.count(),
                "files": sorted(asset.original_name for asset in assets),
            },
        )
        locked.delete()
        # Files go only once the rows are gone for good: a rollback must not leave rows without files.
        transaction.on_commit(lambda: delete_stored_files(stored, whose="a deleted draft's file"))
