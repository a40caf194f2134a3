"""What the Exposure page may show, and to whom: its reader, and the grants that outlived their use."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.utils import timezone
from guardian.conf import settings as guardian_settings

from articles.access.policy import VIEW, Actor, has_article_permission, is_system, short_name
from articles.access.rules import is_real_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from articles.models import Article

# A grant is stale when the person holding it has not signed in for this long.
STALE_AFTER = timedelta(days=90)
EXPOSURE_PERMISSION = "articles.view_exposurerun"
REVOKE_EXPOSED_PERMISSION = "articles.revoke_exposed"


def may_read_exposure(user) -> bool:
    """A superuser, or active staff holding ``view_exposurerun`` (the Auditors role)."""
    return is_real_user(user) and user.is_staff and user.has_perm(EXPOSURE_PERMISSION)


def may_take_away(actor: Actor, article: "Article") -> bool:
    """Whether ``actor`` may end access to ``article`` (take a grant away, revoke a share link):
    whoever may share it, or a reader of the Exposure page holding ``revoke_exposed`` (the
    Auditors role) who may read it. Taking away only narrows who sees a draft, so acting on the
    audit needs no right to hand drafts out."""
    if has_article_permission(actor, "share_article", article):
        return True
    return (
        not is_system(actor)
        and may_read_exposure(actor)
        and actor.has_perm(REVOKE_EXPOSED_PERMISSION)
        and has_article_permission(actor, VIEW, article)
    )


def require_may_take_away(actor: Actor, article: "Article", doing: str) -> None:
    """Refuse (PermissionDenied, worded as ``require_permission``'s) unless ``may_take_away``."""
    if not may_take_away(actor, article):
        raise PermissionDenied(f"You do not have permission to {doing} “{article.slug}”.")


@dataclass(frozen=True)
class StaleGrant:
    """One permission on one article, held directly by someone who no longer signs in."""

    article: "Article"
    user: "User"
    perm: str  # the short name ("view", "share" …), as access_revoke takes it

    @property
    def last_seen(self) -> datetime | None:
        return self.user.last_login


def _stale_rows(viewer, now: datetime | None):
    from articles.models import Article, ArticleUserObjectPermission

    cutoff = (now or timezone.now()) - STALE_AFTER
    idle = Q(user__last_login__lt=cutoff) | Q(
        user__last_login__isnull=True, user__date_joined__lt=cutoff
    )
    return (
        ArticleUserObjectPermission.objects.filter(idle)
        # guardian's anonymous row is nobody's account (and its grants make nothing public).
        .exclude(user__username=guardian_settings.ANONYMOUS_USER_NAME)
        .filter(
            permission__content_type__app_label="articles",
            content_object__in=Article.objects.granted_to(viewer),
        )
        .select_related("user", "permission", "content_object")
        .order_by(
            F("user__last_login").asc(nulls_first=True),
            "user__username",
            "content_object__slug",
            "permission_id",
        )
    )


def _grant(row) -> StaleGrant:
    return StaleGrant(
        article=row.content_object, user=row.user, perm=short_name(row.permission.codename)
    )


def stale_grants(viewer, *, now: datetime | None = None, limit: int = 200) -> list[StaleGrant]:
    """Per-article grants to people idle for ``STALE_AFTER``, on articles ``viewer`` may read
    unpublished; the longest idle first. (A person who never signed in counts from joining.)"""
    return [_grant(row) for row in _stale_rows(viewer, now)[:limit]]


def stale_grant(viewer, *, article_id: int, user_id: int, perm: str) -> StaleGrant | None:
    """The one stale grant the dashboard offers to revoke, if ``viewer`` may see it; else None."""
    row = (
        _stale_rows(viewer, None)
        .filter(
            content_object_id=article_id, user_id=user_id, permission__codename=f"{perm}_article"
        )
        .first()
    )
    return None if row is None else _grant(row)
