"""Share links: issued, moved to the current draft, revoked, and ended when their creator loses access.

A link shows the revision it was issued for (or last updated to), and works only while its creator is
active and still holds ``share`` and ``view`` on the article (``access.preview_link_for``).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from articles.access import PREVIEW_SALT
from articles.access.auditing import require_may_take_away
from articles.access.policy import Actor, is_system, person, require_permission
from articles.models import Article, AuditEvent, PreviewLink
from articles.publishing import classification, marks
from articles.publishing.audit import audit_record


def preview_token(link: PreviewLink) -> str:
    """The signed token a share URL carries; tampering with any character invalidates it."""
    return signing.Signer(salt=PREVIEW_SALT).sign(link.key)


def _require_sharer(actor: Actor, article: Article, doing: str) -> None:
    """Sharing needs ``share`` and ``view``: a link works only while its creator holds both."""
    require_permission(actor, "share_article", article, doing)
    require_permission(actor, "view_article", article, doing)


def preview_link_issue(
    *, actor: Actor, article: Article, label: str, ttl: timedelta | None = None
) -> tuple[PreviewLink, str]:
    """Issue an expiring share link to ``article``'s current revision. Returns the link and its token.

    The link shares that revision only: later drafts need ``preview_link_update``.
    """
    _require_sharer(actor, article, "share")
    ttl = settings.EMBARGO_PREVIEW_TTL if ttl is None else ttl
    if ttl <= timedelta(0):
        raise ValidationError("The link must expire in the future.")
    if ttl > settings.EMBARGO_PREVIEW_MAX_TTL:
        raise ValidationError(
            f"Preview links may last at most {settings.EMBARGO_PREVIEW_MAX_TTL}; "
            f"{ttl} was asked for (EMBARGO_PREVIEW_MAX_TTL)."
        )
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "Say who the link is for, e.g. “Legal review”."})
    with transaction.atomic():
        # The revision current now, not the one on the caller's possibly stale copy.
        locked = Article.objects.select_for_update().get(pk=article.pk)
        classification.check_share_link(locked, timezone.now() + ttl)
        current = locked.latest_revision
        if current is None:
            raise ValidationError(f"“{article.slug}” has no content to share.")
        link = PreviewLink(
            article=article,
            revision=current,
            label=label,
            created_by=person(actor),
            issued_by_shell=is_system(actor),
            expires_at=timezone.now() + ttl,
        )
        link.full_clean(exclude=["article", "revision", "created_by"])
        link.save()
        audit_record(
            action=AuditEvent.Action.PREVIEW_ISSUE,
            actor=actor,
            article=article,
            preview_link=link,
            detail={
                "link": link.pk,
                "label": label,
                "revision": current.number,
                "expires_at": link.expires_at.isoformat(),
            },
        )
    return link, preview_token(link)


def preview_link_update(*, actor: Actor, link: PreviewLink) -> PreviewLink:
    """Make a live share link show its article's current draft from the next request."""
    article = link.article
    _require_sharer(actor, article, "update preview links of")
    with transaction.atomic():
        fresh = Article.objects.select_for_update().get(pk=article.pk)
        current = fresh.latest_revision
        locked = PreviewLink.objects.live().select_for_update(of=("self",)).filter(pk=link.pk)
        locked = locked.first()
        if locked is None or current is None:
            raise ValidationError(
                f"The link for “{link.label}” no longer works; issue a new one instead."
            )
        classification.check_share_link(fresh, locked.expires_at)
        if locked.revision_id == current.pk:
            raise ValidationError(
                f"The link for “{link.label}” already shows the current draft "
                f"(revision {current.number})."
            )
        previous = locked.revision.number
        PreviewLink.objects.filter(pk=link.pk).update(revision=current)
        link.refresh_from_db()
        audit_record(
            action=AuditEvent.Action.PREVIEW_UPDATE,
            actor=actor,
            preview_link=link,
            article=article,
            detail={
                "link": link.pk,
                "label": link.label,
                "from_revision": previous,
                "revision": current.number,
            },
        )
    return link


def _revoked_by(actor: Actor) -> str:
    return "revoked from the shell" if is_system(actor) else f"revoked by {actor.get_username()}"


def preview_link_revoke(*, actor: Actor, link: PreviewLink) -> PreviewLink:
    """Stop one share link working, from the next request."""
    require_may_take_away(actor, link.article, "revoke preview links of")
    with transaction.atomic():
        PreviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=_revoked_by(actor)
        )
        marks.marked_copies_delete(links=[link.pk])
        link.refresh_from_db()
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            preview_link=link,
            article=link.article,
            detail={"link": link.pk, "label": link.label},
        )
    return link


def preview_links_revoke_all(*, actor: Actor, article: Article) -> int:
    """Stop every share link of ``article`` working. Returns how many were live."""
    require_may_take_away(actor, article, "revoke preview links of")
    with transaction.atomic():
        count = article.preview_links.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=_revoked_by(actor)
        )
        marks.marked_copies_delete(links=article.preview_links.values("pk"))
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            article=article,
            detail={"all": True, "count": count},
        )
    return count


def preview_links_end_where_creator_lost_access(
    *, actor: Actor, article: Article | None = None, creators: Iterable | None = None
) -> list[PreviewLink]:
    """Durably end the unrevoked links (of ``article``, by ``creators``) whose creator lost access.

    The access rule already refuses them at serve time; this records it, so a later grant or
    reactivation does not bring them back. Called inside the change that took the access away
    (``access_revoke``; a deactivation calls it with ``creators=[user]``). One audit event per article.
    """
    links = PreviewLink.objects.with_state().filter(revoked_at__isnull=True, issued_by_shell=False)
    if article is not None:
        links = links.filter(article=article)
    if creators is not None:
        links = links.filter(created_by__in=creators)
    now = timezone.now()
    ended: dict[int, list[PreviewLink]] = {}
    for link in links.filter(
        Q(creator_active=False) | Q(creator_may_view=False) | Q(creator_may_share=False)
    ).select_related("article"):
        reason = _lost_access_reason(link)
        PreviewLink.objects.filter(pk=link.pk).update(revoked_at=now, revoked_reason=reason)
        link.revoked_at, link.revoked_reason = now, reason
        ended.setdefault(link.article_id, []).append(link)
    marks.marked_copies_delete(links=[link.pk for found in ended.values() for link in found])
    for article_links in ended.values():
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            article=article_links[0].article,
            detail={
                "links": [link.pk for link in article_links],
                "reasons": {str(link.pk): link.revoked_reason for link in article_links},
            },
        )
    return [link for article_links in ended.values() for link in article_links]


def _lost_access_reason(link: PreviewLink) -> str:
    if not link.creator_active:
        return "its creator's account was deactivated"
    lost = [
        name
        for name, held in (("view", link.creator_may_view), ("share", link.creator_may_share))
        if not held
    ]
    return f"its creator lost {' and '.join(lost)} on this article"


EMBARGO_ENDED_REASON = "the article's embargo end passed"


def _preview_links_end_at_embargo_end(*, actor: Actor, article: Article, now: datetime) -> None:
    """Revoke the unexpired, unrevoked links of ``article``, with one audit event (if any)."""
    links = list(
        article.preview_links.filter(revoked_at__isnull=True, expires_at__gt=now).values_list(
            "pk", flat=True
        )
    )
    if not links:
        return
    PreviewLink.objects.filter(pk__in=links).update(
        revoked_at=now, revoked_reason=EMBARGO_ENDED_REASON
    )
    marks.marked_copies_delete(links=links)
    audit_record(
        action=AuditEvent.Action.PREVIEW_REVOKE,
        actor=actor,
        article=article,
        detail={"links": links, "reasons": {str(pk): EMBARGO_ENDED_REASON for pk in links}},
    )
