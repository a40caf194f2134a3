"""A change to a person or group, one field before → after, and the audit event that records it."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Permission

from articles.access.policy import Actor
from articles.models import AuditEvent
from articles.publishing.audit import audit_record

FLAGS = ("is_staff", "is_superuser", "is_active")
DETAIL_FIELDS = ("username", "first_name", "last_name", "email")


def permission_label(permission: Permission) -> str:
    """``app_label.codename``, as ``has_perm`` spells it."""
    return f"{permission.content_type.app_label}.{permission.codename}"


def permission_labels(permissions: Iterable[Permission]) -> list[str]:
    return sorted(permission_label(p) for p in permissions)


@dataclass(frozen=True)
class Change:
    """One field of one account or group, before and after."""

    # is_staff, is_superuser, is_active, groups, user_permissions, permissions, members, and the
    # details: username, first_name, last_name, email
    field: str
    before: bool | str | list[str]
    after: bool | str | list[str]

    @property
    def added(self) -> list[str]:
        if isinstance(self.after, list) and isinstance(self.before, list):
            return sorted(set(self.after) - set(self.before))
        return []

    @property
    def removed(self) -> list[str]:
        if isinstance(self.after, list) and isinstance(self.before, list):
            return sorted(set(self.before) - set(self.after))
        return []

    def as_detail(self) -> dict:
        detail = {"field": self.field, "before": self.before, "after": self.after}
        if isinstance(self.after, list):
            detail |= {"added": self.added, "removed": self.removed}
        return detail


_ACTION = {
    "is_staff": AuditEvent.Action.ACCOUNT_CHANGE,
    "is_superuser": AuditEvent.Action.ACCOUNT_CHANGE,
    "is_active": AuditEvent.Action.ACCOUNT_CHANGE,
    "groups": AuditEvent.Action.MEMBERSHIP_CHANGE,
    "members": AuditEvent.Action.MEMBERSHIP_CHANGE,
    "user_permissions": AuditEvent.Action.PERMISSIONS_CHANGE,
    "permissions": AuditEvent.Action.PERMISSIONS_CHANGE,
    **dict.fromkeys(DETAIL_FIELDS, AuditEvent.Action.DETAILS_CHANGE),
}


def audit_change(actor: Actor, change: Change, **target) -> AuditEvent:
    """Record ``change`` to ``target`` (``target_user`` or ``target_group``)."""
    # Inside the transaction, not on commit: the change and its record are kept or lost together.
    return audit_record(
        action=_ACTION[change.field], actor=actor, detail=change.as_detail(), **target
    )
