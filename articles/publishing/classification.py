"""Classification: how carefully an article is handled, and the rules each level enforces.

    ============  =============================================================================
    standard      the default: no rule beyond the access rule
    confidential  share links last at most 72 hours (``check_share_link``)
    restricted    no share links at all; publishing needs a second publisher (``approvals``)
    ============  =============================================================================

Only a publisher of the article (``publish`` on it) changes its classification. Raising takes
effect at once: to restricted it ends the article's share links, to confidential it shortens the
longer ones to the limit. Lowering needs a second publisher (``approvals.approval_request_lowering``
then ``approvals.approval_give``). Every change is in the audit trail: old, new, and who.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.access.policy import has_article_permission
from articles.models import Approval, Article, AuditEvent, Classification, PreviewLink
from articles.publishing import audit

CONFIDENTIAL_MAX_LINK_LIFE = timedelta(hours=72)
RANK: dict[str, int] = {
    Classification.STANDARD: 0,
    Classification.CONFIDENTIAL: 1,
    Classification.RESTRICTED: 2,
}
RESTRICTED_REVOKE_REASON = "the article was classified restricted"


def parse(value: str) -> str:
    """A classification by name, or a ValidationError listing the names."""
    value = (value or "").strip().lower()
    if value not in RANK:
        raise ValidationError(
            {
                "classification": f"“{value}” is not a classification; use one of: "
                f"{', '.join(Classification.values)}."
            }
        )
    return value


def username_or_deleted(user) -> str:
    """A username for messages and the trail; the account may have been deleted since."""
    return user.get_username() if user is not None else "a deleted account"


def is_lowering(article: Article, classification: str) -> bool:
    """Whether moving ``article`` to ``classification`` lowers it (which needs two publishers)."""
    return RANK[classification] < RANK[article.classification]


def require_publisher(actor, article: Article, doing: str) -> None:
    if not has_article_permission(actor, "publish_article", article):
        raise PermissionDenied(
            f"Only a publisher of “{article.slug}” may {doing}; you do not hold publish on it."
        )


def check_share_link(article: Article, expires_at) -> None:
    """Refuse a share link ``article``'s classification does not allow (issue or update)."""
    if article.classification == Classification.RESTRICTED:
        raise ValidationError(
            f"“{article.slug}” is restricted: it cannot be shared by link. "
            "Grant view to the person instead.",
            code="restricted_no_links",
        )
    if (
        article.classification == Classification.CONFIDENTIAL
        and expires_at - timezone.now() > CONFIDENTIAL_MAX_LINK_LIFE
    ):
        raise ValidationError(
            f"“{article.slug}” is confidential: its share links may last at most 72 hours.",
            code="confidential_link_too_long",
        )


def article_classify(*, actor, article: Article, classification: str) -> Article:
    """Raise ``article``'s classification now. Lowering is refused here: it needs two publishers."""
    level = parse(classification)
    require_publisher(actor, article, "change its classification")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if level == locked.classification:
            raise ValidationError({"classification": f"“{locked.slug}” is already {level}."})
        if is_lowering(locked, level):
            raise ValidationError(
                {
                    "classification": (
                        f"Lowering “{locked.slug}” from {locked.classification} to {level} "
                        "needs a second publisher: ask for it, and another publisher approves it."
                    )
                },
                code="lowering_needs_approval",
            )
        apply(actor=actor, article=locked, classification=level)
    article.refresh_from_db()
    return article


def apply(
    *, actor, article: Article, classification: str, approval: Approval | None = None
) -> None:
    """Set the classification of the locked ``article`` and enforce it, in the caller's transaction.

    ``approval``: the second publisher's consent a lowering was applied with (named in the trail).
    """
    old = article.classification
    now = timezone.now()
    Article.objects.filter(pk=article.pk).update(
        classification=classification, version=F("version") + 1, updated_at=now
    )
    article.classification = classification
    # Requests made under the old level no longer fit the new one (an applied one has ended).
    article.approvals.filter(ended_at__isnull=True).update(
        ended_at=now, ended_reason=f"the article became {classification}"
    )
    detail: dict[str, object] = {"from": old, "to": classification}
    if approval is not None:
        detail |= {
            "requested_by": username_or_deleted(approval.requested_by),
            "approved_by": username_or_deleted(approval.approved_by),
            "approval": approval.pk,
        }
    if classification == Classification.RESTRICTED:
        detail["links_revoked"] = _end_live_links(actor=actor, article=article, now=now)
    if classification == Classification.CONFIDENTIAL:
        detail["links_shortened"] = _shorten_long_links(article=article, now=now)
    audit.audit_record(
        action=AuditEvent.Action.CLASSIFY, actor=actor, article=article, detail=detail
    )


def _end_live_links(*, actor, article: Article, now) -> list[int]:
    """Revoke every unexpired link of ``article`` for good, with one audit event (if any)."""
    links = list(
        article.preview_links.filter(revoked_at__isnull=True, expires_at__gt=now).values_list(
            "pk", flat=True
        )
    )
    if links:
        PreviewLink.objects.filter(pk__in=links).update(
            revoked_at=now, revoked_reason=RESTRICTED_REVOKE_REASON
        )
        audit.audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            article=article,
            detail={"links": links, "reasons": {str(pk): RESTRICTED_REVOKE_REASON for pk in links}},
        )
    return links


def _shorten_long_links(*, article: Article, now) -> list[int]:
    """Links outliving the confidential limit now end at it (the CLASSIFY event lists them)."""
    limit = now + CONFIDENTIAL_MAX_LINK_LIFE
    longer = article.preview_links.filter(revoked_at__isnull=True, expires_at__gt=limit)
    links = list(longer.values_list("pk", flat=True))
    PreviewLink.objects.filter(pk__in=links).update(expires_at=limit)
    return links
