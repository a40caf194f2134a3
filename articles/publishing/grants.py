"""Access: one permission on one article given to, or taken from, a user or a group.

You can only give what you hold; taking ``view`` or ``share`` away also ends the share links of the
people who thereby lose it, and taking ``view`` deletes the copies marked for them.
"""

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.conf import settings as guardian_settings
from guardian.shortcuts import assign_perm, remove_perm

from articles.access.auditing import require_may_take_away
from articles.access.policy import (
    LINK_CREATOR_PERMISSIONS,
    PERMISSIONS,
    VIEW,
    Actor,
    require_permission,
)
from articles.models import Article, AuditEvent
from articles.publishing import marks
from articles.publishing.audit import audit_record
from articles.publishing.previews import preview_links_end_where_creator_lost_access


def _resolve_permission(perm: str) -> str:
    try:
        return PERMISSIONS[perm]
    except KeyError:
        raise ValidationError(
            f"“{perm}” is not a permission; use one of: {', '.join(PERMISSIONS)}."
        ) from None


def _grant_target(user: User | None, group: Group | None) -> User | Group:
    if user is not None and group is None:
        if user.get_username() == guardian_settings.ANONYMOUS_USER_NAME:
            raise ValidationError(
                "Access cannot be granted to the anonymous user: only publishing makes an "
                "article public."
            )
        return user
    if group is not None and user is None:
        return group
    raise ValidationError("Name exactly one user or one group.")


def _grant_detail(perm: str, target: User | Group) -> dict:
    # The pk too: a name can change hands (a rename), the account it was given to cannot.
    if isinstance(target, Group):
        return {"perm": perm, "group": target.name, "group_id": target.pk}
    return {"perm": perm, "user": target.get_username(), "user_id": target.pk}


def access_grant(
    *,
    actor: Actor,
    article: Article,
    perm: str,
    user: User | None = None,
    group: Group | None = None,
):
    """Give a user or group one permission on one article. You can only give what you hold."""
    codename = _resolve_permission(perm)
    target = _grant_target(user, group)
    require_permission(actor, "share_article", article, "manage access to")
    require_permission(actor, codename, article, f"grant “{perm}” on")
    with transaction.atomic():
        assign_perm(codename, target, article)
        audit_record(
            action=AuditEvent.Action.GRANT,
            actor=actor,
            article=article,
            detail=_grant_detail(perm, target),
        )


def access_revoke(
    *,
    actor: Actor,
    article: Article,
    perm: str,
    user: User | None = None,
    group: Group | None = None,
):
    """Take one permission on one article away; it takes effect on the next request.

    Taking ``view`` or ``share`` also ends, durably, the share links of this article issued by the
    people who thereby lose it (the user, or the group's members without it from elsewhere).
    """
    codename = _resolve_permission(perm)
    target = _grant_target(user, group)
    require_may_take_away(actor, article, "manage access to")
    with transaction.atomic():
        remove_perm(codename, target, article)
        audit_record(
            action=AuditEvent.Action.REVOKE,
            actor=actor,
            article=article,
            detail=_grant_detail(perm, target),
        )
        losing = target.user_set.all() if isinstance(target, Group) else [target]
        if codename == VIEW:
            # A restricted draft's files were served to them as marked copies: whole files.
            marks.reader_copies_delete(article=article, readers=losing)
        if codename in LINK_CREATOR_PERMISSIONS:
            preview_links_end_where_creator_lost_access(
                actor=actor, article=article, creators=losing
            )
