"""Two-person rules: what one publisher asks for and a second one approves.

- **Publication of a restricted article** (now or scheduled) needs an approval of exactly the
  revision being published, given by a publisher who neither asked for it nor wrote that revision
  (its ``created_by``). An edit voids it: an approval counts only while its revision is the working
  draft. Publishing uses it up; the scheduled job holds back (and records) what lacks one.
- **Lowering a classification** needs a request by one publisher and an approval by another; the
  approval applies it.

Nobody acts alone here, so the site itself (``SYSTEM``) can neither ask nor approve: commands name
the person (``--user NAME``). Both people are in the audit trail: the request, the approval, and the
publication or classification change that names them both.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from articles.access.policy import SYSTEM, has_article_permission, is_system
from articles.models import Approval, Article, AuditEvent, Classification, Revision
from articles.publishing import audit, classification

log = logging.getLogger("embargo.publishing")

ASK_AGAIN = (
    "Ask for approval of the current draft (Request approval in the admin, or "
    "manage.py approve_publication SLUG --request --user NAME)."
)


def _require_person(actor, doing: str) -> None:
    if is_system(actor):
        raise PermissionDenied(
            f"Only a named publisher may {doing}: two-person rules need two people, "
            "not the site itself (commands take --user NAME)."
        )
    if not actor.is_active:
        raise PermissionDenied(f"A deactivated account may not {doing}.")


def _open(article: Article, kind: str):
    return article.approvals.filter(kind=kind, ended_at__isnull=True)


def _request(*, actor, article: Article, kind: str, detail: dict, **fields) -> Approval:
    now = timezone.now()
    _open(article, kind).update(ended_at=now, ended_reason="replaced by a newer request")
    approval = Approval.objects.create(
        article=article, kind=kind, requested_by=actor, requested_at=now, **fields
    )
    audit.audit_record(
        action=AuditEvent.Action.APPROVAL_REQUEST,
        actor=actor,
        article=article,
        detail={"approval": approval.pk, "kind": kind, **detail},
    )
    return approval


def approval_request_publication(*, actor, article: Article) -> Approval:
    """Ask a second publisher to approve publishing the restricted ``article``'s working draft."""
    _require_person(actor, "ask for approval")
    classification.require_publisher(actor, article, "ask for its publication")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.classification != Classification.RESTRICTED:
            raise ValidationError(
                f"“{locked.slug}” is {locked.classification}: publishing it needs no approval."
            )
        revision = locked.latest_revision
        if revision is None:
            raise ValidationError(f"“{locked.slug}” has no content to publish.")
        given = valid_publication_approval(locked, revision.pk)
        if given is not None:
            raise ValidationError(
                f"Revision {revision.number} of “{locked.slug}” is already approved by "
                f"{classification.username_or_deleted(given.approved_by)}: it can be published."
            )
        return _request(
            actor=actor,
            article=locked,
            kind=Approval.Kind.PUBLICATION,
            revision=revision,
            detail={"revision": revision.number},
        )


def approval_request_lowering(*, actor, article: Article, classification_name: str) -> Approval:
    """Ask a second publisher to approve lowering ``article`` to ``classification_name``."""
    level = classification.parse(classification_name)
    _require_person(actor, "ask to lower a classification")
    classification.require_publisher(actor, article, "change its classification")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if not classification.is_lowering(locked, level):
            raise ValidationError(
                {
                    "classification": f"{level} is not lower than “{locked.slug}”'s "
                    f"classification ({locked.classification}); raising needs no approval."
                }
            )
        return _request(
            actor=actor,
            article=locked,
            kind=Approval.Kind.LOWERING,
            classification=level,
            detail={"from": locked.classification, "to": level},
        )


def approval_give(*, actor, approval: Approval) -> Approval:
    """Approve another publisher's request; a lowering is applied at once."""
    _require_person(actor, "approve")
    classification.require_publisher(actor, approval.article, "approve requests for it")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=approval.article_id)
        approval = Approval.objects.select_for_update().get(pk=approval.pk)
        _check_approvable(actor, locked, approval)
        now = timezone.now()
        approval.approved_by, approval.approved_at = actor, now
        if approval.kind == Approval.Kind.LOWERING:
            approval.ended_at, approval.ended_reason = now, "applied"
        approval.save()
        audit.audit_record(
            action=AuditEvent.Action.APPROVAL_GIVE,
            actor=actor,
            article=locked,
            detail={
                "approval": approval.pk,
                "kind": approval.kind,
                "requested_by": classification.username_or_deleted(approval.requested_by),
                **_what(approval),
            },
        )
        if approval.kind == Approval.Kind.LOWERING:
            classification.apply(
                actor=actor,
                article=locked,
                classification=approval.classification,
                approval=approval,
            )
    return approval


def _what(approval: Approval) -> dict:
    if approval.kind == Approval.Kind.PUBLICATION:
        return {"revision": approval.requested_revision.number}
    return {"to": approval.classification}


def _check_approvable(actor, article: Article, approval: Approval) -> None:
    if approval.ended_at is not None or approval.approved_at is not None:
        raise ValidationError(
            f"This request was already {approval.ended_reason or 'approved'}; nothing to approve."
        )
    if approval.requested_by_id == actor.pk:
        raise ValidationError(
            "You asked for this approval: a second publisher must give it.", code="own_request"
        )
    if approval.kind == Approval.Kind.LOWERING:
        return
    revision = approval.requested_revision
    if revision.created_by_id == actor.pk:
        raise ValidationError(
            f"You are the last editor of revision {revision.number}, the one to be "
            "published: a publisher who neither asked for nor wrote it must approve.",
            code="last_editor",
        )
    if article.latest_revision_id != approval.revision_id:
        raise ValidationError(
            f"“{article.slug}” was edited after the request (revision {revision.number} "
            f"was asked for, the working draft is revision {article.working_draft.number}). "
            + ASK_AGAIN.replace("SLUG", article.slug),
            code="edited_since",
        )


def valid_publication_approval(article: Article, revision_id: int | None) -> Approval | None:
    """The approval that lets ``revision_id`` of ``article`` be published, or None."""
    if revision_id is None or revision_id != article.latest_revision_id:
        return None  # an edit after approval voids it
    approval = (
        _open(article, Approval.Kind.PUBLICATION)
        .filter(revision_id=revision_id, approved_at__isnull=False, approved_by__is_active=True)
        .select_related("requested_by", "approved_by")
        .first()
    )
    # The second person's consent counts only while they are still a publisher of the article.
    if approval is None or not has_article_permission(
        approval.approved_by, "publish_article", article
    ):
        return None
    return approval


def missing_approval(article: Article, revision_id: int | None) -> str | None:
    """Why ``revision_id`` of ``article`` may not be published now, or None if it may."""
    if article.classification != Classification.RESTRICTED:
        return None
    if valid_publication_approval(article, revision_id) is not None:
        return None
    if revision_id != article.latest_revision_id:
        if revision_id is None:
            raise ValueError(f"“{article.slug}”: no revision was named to publish.")
        number = Revision.objects.get(pk=revision_id).number
        return (
            f"“{article.slug}” is restricted and revision {number} is no longer its working draft "
            "(an edit after approval voids it). " + ASK_AGAIN.replace("SLUG", article.slug)
        )
    earlier = _open(article, Approval.Kind.PUBLICATION).exclude(revision_id=revision_id).first()
    if earlier is not None and earlier.approved_at is not None:
        return (
            f"“{article.slug}” is restricted and was edited after revision "
            f"{earlier.revision.number} was approved: the approval is void. "
            + ASK_AGAIN.replace("SLUG", article.slug)
        )
    pending = _open(article, Approval.Kind.PUBLICATION).filter(revision_id=revision_id).first()
    if pending is not None:
        return (
            f"“{article.slug}” is restricted: its publication awaits a second publisher's "
            f"approval (asked by {classification.username_or_deleted(pending.requested_by)})."
        )
    return (
        f"“{article.slug}” is restricted: publishing it needs a second publisher's approval. "
        + ASK_AGAIN.replace("SLUG", article.slug)
        + " Then another publisher, neither the one who asked nor the draft's last editor, "
        "approves it."
    )


def require_for_publication(article: Article, *, scheduling: bool) -> dict:
    """Refuse publishing or scheduling the locked ``article`` without a valid approval.

    Called by the workflow once it chose the revision; a publication uses the approval up. Returns
    what the PUBLISH or SCHEDULE audit event says about it: both people.
    """
    revision_id = article.scheduled_revision_id if scheduling else article.live_revision_id
    reason = missing_approval(article, revision_id)
    if reason is not None:
        raise ValidationError(reason, code="approval_required")
    approval = valid_publication_approval(article, revision_id)
    if approval is None:
        return {}
    if not scheduling:
        Approval.objects.filter(pk=approval.pk).update(
            ended_at=timezone.now(), ended_reason="used by the publication"
        )
    return {
        "approval": approval.pk,
        "requested_by": classification.username_or_deleted(approval.requested_by),
        "approved_by": classification.username_or_deleted(approval.approved_by),
    }


def held_for_approval(article: Article) -> bool:
    """Whether the due, locked ``article`` must wait for an approval; recorded once per reason."""
    reason = missing_approval(article, article.scheduled_revision_id)
    if reason is None:
        return False
    if article.scheduled_revision is None:
        raise ValueError(f"“{article.slug}” is not scheduled: no publication to hold.")
    detail = {"reason": reason, "revision": article.scheduled_revision.number}
    # Once per schedule and reason: cron runs every minute, the trail should not.
    held = article.audit_events.filter(action=AuditEvent.Action.PUBLICATION_HELD)
    scheduled = article.audit_events.filter(action=AuditEvent.Action.SCHEDULE).order_by("-at")
    since = scheduled.values_list("at", flat=True).first()
    if since is not None:
        held = held.filter(at__gte=since)
    if not any(event.detail == detail for event in held):
        audit.audit_record(
            action=AuditEvent.Action.PUBLICATION_HELD,
            actor=SYSTEM,
            article=article,
            detail=detail,
        )
        log.warning("Scheduled publication of %s held back: %s", article.slug, reason)
    return True


def open_requests(article: Article) -> list[Approval]:
    """The requests of ``article`` not yet used, applied or ended (approved or not)."""
    return list(
        article.approvals.filter(ended_at__isnull=True)
        .select_related("requested_by", "approved_by", "revision")
        .order_by("kind", "-requested_at")
    )
