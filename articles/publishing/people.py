"""Writes to people: global permissions, group membership, staff/superuser/active status, passwords.

These reach every article at once, so each is checked against who may make it and audited (who,
whom, what changed, before → after) in the same transaction as the change. ``actor=SYSTEM`` is the
trusted shell (a management command or ``manage.py shell`` on the server).

| the change                                                        | who may make it             |
|-------------------------------------------------------------------|-----------------------------|
| a user's or group's global ``articles`` permissions               | superusers, access admins   |
| membership of a group                                             | superusers, access admins   |
| membership of a group holding ``administer_access`` (Access       | superusers                  |
| administrators) or anything outside ``articles``; those perms     |                             |
| ``is_staff``, ``is_active``, another person's password            | superusers, access admins   |
| ``is_superuser``; anything about a superuser's account            | superusers                  |
| ``username`` (grants, imports and the trail name people by it)    | superusers, access admins   |
| first and last name, e-mail                                       | also ``auth.change_user``   |

"Access admins" hold ``articles.administer_access``: the Access administrators role
(``roles.ACCESS_ADMINISTRATORS``). Handing that permission out, directly or through a group, is
itself a permission outside the ordinary article ones, so only superusers may.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from guardian.conf import settings as guardian_settings

from articles.access.policy import Actor, is_system
from articles.access.rules import is_real_user
from articles.models import Article, AuditEvent, byline_of
from articles.publishing.audit import audit_record
from articles.publishing.previews import preview_links_end_where_creator_lost_access
from articles.web.caching import purge_public_pages

ARTICLES_APP = "articles"
ACCESS_PERMISSION = "articles.administer_access"
FLAGS = ("is_staff", "is_superuser", "is_active")
SUPERUSER = "superuser"
ACCESS_ADMIN = "access administrator"
NOTHING_CHANGED = "Nothing was changed."
DETAIL_FIELDS = ("username", "first_name", "last_name", "email")
# What the trail writes as the actor for the shell and for nobody (services.audit_record): a person
# called so would pass for them.
RESERVED_USERNAMES = ("system", "anonymous")


def is_access_administrator(user) -> bool:
    """A superuser, or an active holder of ``administer_access`` (the Access administrators role)."""
    # has_perm, not a group query: the admin asks on every page and Django caches the answer.
    return is_real_user(user) and user.has_perm(ACCESS_PERMISSION)


def permission_label(permission: Permission) -> str:
    """``app_label.codename``, as ``has_perm`` spells it."""
    return f"{permission.content_type.app_label}.{permission.codename}"


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


# --- who may make a change -----------------------------------------------------------------------


def _missing_role(actor: Actor, needed: str) -> bool:
    if is_system(actor):
        return False
    if needed == SUPERUSER:
        return not (is_real_user(actor) and actor.is_superuser)
    return not is_access_administrator(actor)


def _who(needed: str) -> str:
    return "superusers" if needed == SUPERUSER else "superusers and Access administrators"


def _permission_needs(labels: Iterable[str]) -> str:
    """Article permissions are for access administrators; anything else (auth.…) for superusers."""
    ordinary = all(
        label.startswith(f"{ARTICLES_APP}.") and label != ACCESS_PERMISSION for label in labels
    )
    return ACCESS_ADMIN if ordinary else SUPERUSER


def _superuser_only_groups(names: Iterable[str]) -> set[str]:
    """Of ``names``, the groups only superusers may hand out: those holding more than article rights."""
    app_label, codename = ACCESS_PERMISSION.split(".")
    beyond_articles = Permission.objects.exclude(content_type__app_label=ARTICLES_APP) | (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    )
    return set(
        Group.objects.filter(name__in=set(names), permissions__in=beyond_articles).values_list(
            "name", flat=True
        )
    )


def _refusals(
    actor: Actor, changes: list[Change], *, of_superuser: bool, group_name: str = ""
) -> list[str]:
    """What ``actor`` may not do of ``changes``, each in a sentence naming who may."""
    refused = []

    def need(needed: str, what: str) -> None:
        if _missing_role(actor, needed):
            refused.append(f"Only {_who(needed)} may {what}.")

    if of_superuser:
        need(SUPERUSER, "change a superuser's account")
    for change in changes:
        moved = change.added + change.removed
        if change.field == "is_superuser":
            need(SUPERUSER, "make someone a superuser or take that away")
        elif change.field in ("is_staff", "is_active"):
            word = "staff status" if change.field == "is_staff" else "active status (deactivate)"
            need(ACCESS_ADMIN, f"change {word}")
        elif change.field in ("user_permissions", "permissions"):
            need(
                _permission_needs(moved),
                f"change permissions that reach every article or account ({', '.join(moved)})",
            )
        elif change.field == "groups":
            special = _superuser_only_groups(moved)
            need(SUPERUSER if special else ACCESS_ADMIN, f"change membership of {_names(moved)}")
        elif change.field == "members":
            special = _superuser_only_groups([group_name])
            need(SUPERUSER if special else ACCESS_ADMIN, f"change membership of “{group_name}”")
    return refused


def _names(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _refuse_if_any(refused: list[str]) -> None:
    if refused:
        raise PermissionDenied(" ".join([*refused, NOTHING_CHANGED]))


def _not_anonymous(user) -> None:
    if user.get_username() == guardian_settings.ANONYMOUS_USER_NAME:
        raise ValidationError(
            "The anonymous user holds no permissions, groups or status: only publishing makes an "
            "article public."
        )


# --- what a change would be ----------------------------------------------------------------------


def _labels(permissions: Iterable[Permission]) -> list[str]:
    return sorted(permission_label(p) for p in permissions)


def _user_changes(
    user,
    *,
    flags: dict[str, bool | None],
    groups: Iterable[Group] | None,
    permissions: Iterable[Permission] | None,
) -> list[Change]:
    stored = type(user).objects.filter(pk=user.pk).first() if user.pk else None
    changes = []
    for field, wanted in flags.items():
        before = getattr(stored, field) if stored is not None else False
        if wanted is not None and bool(wanted) != before:
            changes.append(Change(field, before, bool(wanted)))
    if groups is not None:
        before = sorted(stored.groups.values_list("name", flat=True)) if stored else []
        after = sorted(group.name for group in groups)
        if before != after:
            changes.append(Change("groups", before, after))
    if permissions is not None:
        before = _labels(stored.user_permissions.select_related("content_type")) if stored else []
        after = _labels(permissions)
        if before != after:
            changes.append(Change("user_permissions", before, after))
    return changes


def _group_changes(
    group: Group | None, *, permissions: Iterable[Permission] | None, members: Iterable | None
) -> list[Change]:
    stored = Group.objects.filter(pk=group.pk).first() if group is not None and group.pk else None
    changes = []
    if permissions is not None:
        before = _labels(stored.permissions.select_related("content_type")) if stored else []
        after = _labels(permissions)
        if before != after:
            changes.append(Change("permissions", before, after))
    if members is not None:
        before = sorted(stored.user_set.values_list("username", flat=True)) if stored else []
        after = sorted(user.get_username() for user in members)
        if before != after:
            changes.append(Change("members", before, after))
    return changes


# --- the services --------------------------------------------------------------------------------


def user_access_check(
    *,
    actor: Actor,
    user,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    is_active: bool | None = None,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> list[Change]:
    """The changes ``user_access_change`` would make, or PermissionDenied saying what is refused."""
    groups = None if groups is None else list(groups)
    permissions = None if permissions is None else list(permissions)
    flags = {"is_staff": is_staff, "is_superuser": is_superuser, "is_active": is_active}
    changes = _user_changes(user, flags=flags, groups=groups, permissions=permissions)
    if changes:
        _not_anonymous(user)
    stored_superuser = bool(
        user.pk and type(user).objects.filter(pk=user.pk, is_superuser=True).exists()
    )
    if changes:
        _refuse_if_any(_refusals(actor, changes, of_superuser=stored_superuser))
    return changes


def user_access_change(
    *,
    actor: Actor,
    user,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    is_active: bool | None = None,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> list[AuditEvent]:
    """Set a user's status flags, groups and global permissions (None: leave as is); audited.

    Deactivating takes effect on the next request: Django's ModelBackend no longer returns an
    inactive user for a session, and the access rule ignores inactive users' grants.
    """
    groups = None if groups is None else list(groups)
    permissions = None if permissions is None else list(permissions)
    with transaction.atomic():
        # Locked, so two concurrent edits cannot both read the same "before".
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        changes = user_access_check(
            actor=actor,
            user=user,
            is_staff=is_staff,
            is_superuser=is_superuser,
            is_active=is_active,
            groups=groups,
            permissions=permissions,
        )
        flags = {c.field: c.after for c in changes if c.field in FLAGS}
        if flags:
            type(user).objects.filter(pk=user.pk).update(**flags)
            for field, value in flags.items():
                setattr(user, field, value)
        fields = {c.field for c in changes}
        if "groups" in fields:
            user.groups.set(groups)
        if "user_permissions" in fields:
            user.user_permissions.set(permissions)
        events = [_audit(actor, change, target_user=user) for change in changes]
        if changes:
            # The access rule already refuses their links now; this records it, so reactivating
            # the account or giving the right back does not bring the links back.
            preview_links_end_where_creator_lost_access(actor=actor, creators=[user])
        return events


def group_access_check(
    *,
    actor: Actor,
    group: Group | None,
    name: str = "",
    permissions: Iterable[Permission] | None = None,
    members: Iterable | None = None,
) -> list[Change]:
    """The changes ``group_access_change`` would make (``group`` None: a new group called ``name``)."""
    permissions = None if permissions is None else list(permissions)
    members = None if members is None else list(members)
    changes = _group_changes(group, permissions=permissions, members=members)
    if members is not None:
        for member in members:
            _not_anonymous(member)
    stored_name = (
        Group.objects.filter(pk=group.pk).values_list("name", flat=True).first()
        if (group is not None and group.pk)
        else None
    )
    group_name = stored_name or name or (group.name if group is not None else "")
    if changes:
        _refuse_if_any(_refusals(actor, changes, of_superuser=False, group_name=group_name))
    return changes


def group_access_change(
    *,
    actor: Actor,
    group: Group,
    permissions: Iterable[Permission] | None = None,
    members: Iterable | None = None,
) -> list[AuditEvent]:
    """Set a group's global permissions and its members (None: leave as is); audited."""
    permissions = None if permissions is None else list(permissions)
    members = None if members is None else list(members)
    with transaction.atomic():
        Group.objects.select_for_update().filter(pk=group.pk).first()
        changes = group_access_check(
            actor=actor, group=group, permissions=permissions, members=members
        )
        affected = list(group.user_set.all()) if changes else []
        fields = {c.field for c in changes}
        if "permissions" in fields and permissions is not None:
            group.permissions.set(permissions)
        if "members" in fields and members is not None:
            group.user_set.set(members)
        events = [_audit(actor, change, target_group=group) for change in changes]
        if affected:
            # Members who lost view or share through this change lose the links they issued.
            preview_links_end_where_creator_lost_access(actor=actor, creators=affected)
        return events


def username_problem(username: str, *, user=None) -> str | None:
    """Why no account (``user``: other than this one) may be called ``username``; None if it may.

    Exact duplicates are refused by the database; these are the names that would pass for someone
    else: another person's name in other letter case, the shell's and nobody's names in the trail,
    and guardian's anonymous user.
    """
    folded = username.casefold()
    reserved = (*RESERVED_USERNAMES, guardian_settings.ANONYMOUS_USER_NAME)
    if folded in {name.casefold() for name in reserved}:
        return (
            f"“{username}” is reserved: the audit trail uses it for something that is not a person."
        )
    User = type(user) if user is not None else get_user_model()
    others = User.objects.filter(username__iexact=username)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        return "A user with that username already exists."
    return None


def user_details_check(*, actor: Actor, user, **details: str | None) -> list[Change]:
    """The changes ``user_details_change`` would make, or PermissionDenied / ValidationError."""
    stored = type(user).objects.filter(pk=user.pk).first()
    changes = [
        Change(field, getattr(stored, field), value)
        for field, value in details.items()
        if value is not None and value != getattr(stored, field)
    ]
    refused = _refusals(actor, [], of_superuser=bool(stored and stored.is_superuser))
    may_edit_accounts = is_system(actor) or (
        is_access_administrator(actor) or actor.has_perm("auth.change_user")
    )
    if changes and not refused and not may_edit_accounts:
        refused.append("Only holders of “Can change user” may change names or e-mail addresses.")
    if any(c.field == "username" for c in changes) and _missing_role(actor, ACCESS_ADMIN):
        refused.append(
            f"Only {_who(ACCESS_ADMIN)} may change a username: grants, imports and the audit "
            "trail name people by it."
        )
    _refuse_if_any(refused)
    if changes:
        _not_anonymous(user)
    renamed = next((c.after for c in changes if c.field == "username"), None)
    if isinstance(renamed, str) and (problem := username_problem(renamed, user=user)):
        raise ValidationError({"username": problem})
    if changes:
        # The model's own rules (length, allowed characters, e-mail syntax), for callers without
        # a form: the shell.
        candidate = type(user).objects.get(pk=user.pk)
        for change in changes:
            setattr(candidate, change.field, change.after)
        changed = {change.field for change in changes}
        candidate.clean_fields(
            exclude=[f.name for f in candidate._meta.fields if f.name not in changed]
        )
    return changes


def user_details_change(
    *,
    actor: Actor,
    user,
    username: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> list[AuditEvent]:
    """Set a user's username, names and e-mail (None: leave as is); audited, before → after.

    A changed byline (names, or the username where no name is set) of the author of a public
    article is shown on public pages, feeds and JSON-LD: the page cache is dropped in the same
    transaction, so no cached page keeps the old name.
    """
    details = {
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
    }
    with transaction.atomic():
        stored = type(user).objects.select_for_update().filter(pk=user.pk).first()
        changes = user_details_check(actor=actor, user=user, **details)
        if not changes:
            return []
        byline_before = byline_of(stored)
        fields = {c.field: c.after for c in changes}
        type(user).objects.filter(pk=user.pk).update(**fields)
        for field, value in fields.items():
            setattr(user, field, value)
        events = [_audit(actor, change, target_user=user) for change in changes]
        if byline_of(user) != byline_before:
            public = Article.objects.published().filter(author=user)
            slugs = list(public.values_list("slug", flat=True))
            if slugs:
                purge_public_pages(slugs=slugs)
        return events


def user_password_check(*, actor: Actor, user) -> None:
    """PermissionDenied unless ``actor`` may set ``user``'s password (their own is another door)."""
    _not_anonymous(user)
    if not is_system(actor) and is_real_user(actor) and actor.pk == user.pk:
        return
    of_superuser = type(user).objects.filter(pk=user.pk, is_superuser=True).exists()
    refused = _refusals(actor, [], of_superuser=of_superuser)
    if not refused and _missing_role(actor, ACCESS_ADMIN):
        # Whoever sets a password can sign in as that person and read what they may read.
        refused.append(f"Only {_who(ACCESS_ADMIN)} may set another person's password.")
    _refuse_if_any(refused)


def user_password_set(*, actor: Actor, user, password: str | None) -> AuditEvent:
    """Set ``user``'s password (None: disable password sign-in); audited, the hash never recorded."""
    with transaction.atomic():
        user_password_check(actor=actor, user=user)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        return audit_record(
            action=AuditEvent.Action.PASSWORD_SET,
            actor=actor,
            target_user=user,
            detail={"usable": password is not None},
        )


def _audit(actor: Actor, change: Change, **target) -> AuditEvent:
    # Inside the transaction, not on commit: the change and its record are kept or lost together.
    return audit_record(
        action=_ACTION[change.field], actor=actor, detail=change.as_detail(), **target
    )
