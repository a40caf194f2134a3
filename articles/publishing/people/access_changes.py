"""Changes of who reaches every article: a user's status flags, groups and global permissions, and
a group's global permissions and members. Each ends the share links of whoever lost access by it
and deletes the copies marked for them of the articles they can no longer see."""

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, Unpack

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from articles.access.policy import Actor
from articles.models import AuditEvent
from articles.publishing import marks
from articles.publishing.people.changes import FLAGS, Change, audit_change, permission_labels
from articles.publishing.people.rules import refusals, refuse_anonymous, refuse_if_any
from articles.publishing.previews import preview_links_end_where_creator_lost_access


class UserAccess(TypedDict, total=False):
    """What ``user_access_change`` sets; a key left out, or None, leaves that as it is."""

    is_staff: bool | None
    is_superuser: bool | None
    is_active: bool | None
    groups: Iterable[Group] | None
    permissions: Iterable[Permission] | None


class GroupAccess(TypedDict, total=False):
    """What ``group_access_change`` sets; a key left out, or None, leaves that as it is."""

    permissions: Iterable[Permission] | None
    members: Iterable | None


def _as_lists(wanted: Mapping[str, object], allowed: type) -> dict[str, Any]:
    """``wanted`` with its iterables made lists (they are read twice: checked, then set)."""
    # A misspelt keyword would otherwise be ignored and leave someone's access as it was.
    unknown = wanted.keys() - allowed.__annotations__.keys()
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    return {
        key: list(value) if isinstance(value, Iterable) else value for key, value in wanted.items()
    }


def _list_change(field: str, before: list[str], after: list[str]) -> list[Change]:
    return [Change(field, before, after)] if before != after else []


def _user_changes(user, wanted: Mapping[str, Any]) -> list[Change]:
    stored = type(user).objects.filter(pk=user.pk).first() if user.pk else None
    changes = []
    for field in FLAGS:
        wanted_flag = wanted.get(field)
        before = getattr(stored, field) if stored is not None else False
        if wanted_flag is not None and bool(wanted_flag) != before:
            changes.append(Change(field, before, bool(wanted_flag)))
    if (groups := wanted.get("groups")) is not None:
        before = sorted(stored.groups.values_list("name", flat=True)) if stored else []
        changes += _list_change("groups", before, sorted(group.name for group in groups))
    if (permissions := wanted.get("permissions")) is not None:
        held = stored.user_permissions.select_related("content_type") if stored else []
        changes += _list_change(
            "user_permissions", permission_labels(held), permission_labels(permissions)
        )
    return changes


def _group_changes(group: Group | None, wanted: Mapping[str, Any]) -> list[Change]:
    stored = Group.objects.filter(pk=group.pk).first() if group is not None and group.pk else None
    changes = []
    if (permissions := wanted.get("permissions")) is not None:
        held = stored.permissions.select_related("content_type") if stored else []
        changes += _list_change(
            "permissions", permission_labels(held), permission_labels(permissions)
        )
    if (members := wanted.get("members")) is not None:
        before = sorted(stored.user_set.values_list("username", flat=True)) if stored else []
        changes += _list_change("members", before, sorted(user.get_username() for user in members))
    return changes


def user_access_check(*, actor: Actor, user, **wanted: Unpack[UserAccess]) -> list[Change]:
    """The changes ``user_access_change`` would make, or PermissionDenied saying what is refused."""
    changes = _user_changes(user, _as_lists(wanted, UserAccess))
    if changes:
        refuse_anonymous(user)
    stored_superuser = bool(
        user.pk and type(user).objects.filter(pk=user.pk, is_superuser=True).exists()
    )
    if changes:
        refuse_if_any(refusals(actor, changes, of_superuser=stored_superuser))
    return changes


def user_access_change(*, actor: Actor, user, **wanted: Unpack[UserAccess]) -> list[AuditEvent]:
    """Set a user's status flags, groups and global permissions (None: leave as is); audited.

    Deactivating takes effect on the next request: Django's ModelBackend no longer returns an
    inactive user for a session, and the access rule ignores inactive users' grants. Whatever
    they can no longer see, their marked copies of it are deleted (files once this commits).
    """
    lists = _as_lists(wanted, UserAccess)
    with transaction.atomic():
        # Locked, so two concurrent edits cannot both read the same "before".
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        changes = user_access_check(actor=actor, user=user, **lists)
        flags = {c.field: c.after for c in changes if c.field in FLAGS}
        if flags:
            type(user).objects.filter(pk=user.pk).update(**flags)
            for field, value in flags.items():
                setattr(user, field, value)
        fields = {c.field for c in changes}
        if "groups" in fields:
            user.groups.set(lists["groups"])
        if "user_permissions" in fields:
            user.user_permissions.set(lists["permissions"])
        events = [audit_change(actor, change, target_user=user) for change in changes]
        if changes:
            # The access rule already refuses their links now; this records it, so reactivating
            # the account or giving the right back does not bring the links back.
            preview_links_end_where_creator_lost_access(actor=actor, creators=[user])
            # The flags set above are on ``user`` too, so the rule sees them as they now are.
            marks.reader_copies_delete_where_access_lost(readers=[user])
        return events


def group_access_check(
    *, actor: Actor, group: Group | None, name: str = "", **wanted: Unpack[GroupAccess]
) -> list[Change]:
    """The changes ``group_access_change`` would make (``group`` None: a new group called ``name``)."""
    lists = _as_lists(wanted, GroupAccess)
    changes = _group_changes(group, lists)
    for member in lists.get("members") or []:
        refuse_anonymous(member)
    stored_name = (
        Group.objects.filter(pk=group.pk).values_list("name", flat=True).first()
        if (group is not None and group.pk)
        else None
    )
    group_name = stored_name or name or (group.name if group is not None else "")
    if changes:
        refuse_if_any(refusals(actor, changes, of_superuser=False, group_name=group_name))
    return changes


def group_access_change(
    *, actor: Actor, group: Group, **wanted: Unpack[GroupAccess]
) -> list[AuditEvent]:
    """Set a group's global permissions and its members (None: leave as is); audited."""
    lists = _as_lists(wanted, GroupAccess)
    with transaction.atomic():
        Group.objects.select_for_update().filter(pk=group.pk).first()
        changes = group_access_check(actor=actor, group=group, **lists)
        affected = list(group.user_set.all()) if changes else []
        fields = {c.field for c in changes}
        if "permissions" in fields:
            group.permissions.set(lists["permissions"])
        if "members" in fields:
            group.user_set.set(lists["members"])
        events = [audit_change(actor, change, target_group=group) for change in changes]
        if affected:
            # Members who lost view or share through this change lose the links they issued.
            preview_links_end_where_creator_lost_access(actor=actor, creators=affected)
            marks.reader_copies_delete_where_access_lost(readers=affected)
        return events
