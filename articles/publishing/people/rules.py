"""Who may make which change to people (the table in ``people``), and the refusals in words."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.conf import settings as guardian_settings

from articles.access.policy import Actor, is_system
from articles.access.rules import is_real_user
from articles.publishing.people.changes import Change

ARTICLES_APP = "articles"
ACCESS_PERMISSION = "articles.administer_access"
# Who a change needs (see who_may).
SUPERUSER = "superuser"
ACCESS_ADMIN = "access administrator"
NOTHING_CHANGED = "Nothing was changed."


def is_access_administrator(user) -> bool:
    """A superuser, or an active holder of ``administer_access`` (the Access administrators role)."""
    # has_perm, not a group query: the admin asks on every page and Django caches the answer.
    return is_real_user(user) and user.has_perm(ACCESS_PERMISSION)


def missing_role(actor: Actor, needed: str) -> bool:
    """Whether ``actor`` lacks ``needed`` (SUPERUSER or ACCESS_ADMIN); the shell lacks nothing."""
    if is_system(actor):
        return False
    if needed == SUPERUSER:
        return not (is_real_user(actor) and actor.is_superuser)
    return not is_access_administrator(actor)


def who_may(needed: str) -> str:
    return "superusers" if needed == SUPERUSER else "superusers and Access administrators"


def _permission_needs(labels: Iterable[str]) -> str:
    """Article permissions are for access administrators; anything else (auth.…) for superusers."""
    ordinary = all(
        label.startswith(f"{ARTICLES_APP}.") and label != ACCESS_PERMISSION for label in labels
    )
    return ACCESS_ADMIN if ordinary else SUPERUSER


def _membership_needs(group_names: Iterable[str]) -> str:
    """Groups holding more than article rights are for superusers to hand out; the rest not."""
    app_label, codename = ACCESS_PERMISSION.split(".")
    beyond_articles = Permission.objects.exclude(content_type__app_label=ARTICLES_APP) | (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    )
    special = Group.objects.filter(name__in=set(group_names), permissions__in=beyond_articles)
    return SUPERUSER if special.exists() else ACCESS_ADMIN


def _needed_for(change: Change, group_name: str) -> tuple[str, str] | None:
    """Who may make ``change`` and what it is, in words; None for a change no rule covers."""
    moved = change.added + change.removed
    if change.field == "is_superuser":
        return SUPERUSER, "make someone a superuser or take that away"
    if change.field in ("is_staff", "is_active"):
        word = "staff status" if change.field == "is_staff" else "active status (deactivate)"
        return ACCESS_ADMIN, f"change {word}"
    if change.field in ("user_permissions", "permissions"):
        return (
            _permission_needs(moved),
            f"change permissions that reach every article or account ({', '.join(moved)})",
        )
    if change.field == "groups":
        return _membership_needs(moved), f"change membership of {_names(moved)}"
    if change.field == "members":
        return _membership_needs([group_name]), f"change membership of “{group_name}”"
    return None


def refusals(
    actor: Actor, changes: list[Change], *, of_superuser: bool, group_name: str = ""
) -> list[str]:
    """What ``actor`` may not do of ``changes``, each in a sentence naming who may."""
    needs = [(SUPERUSER, "change a superuser's account")] if of_superuser else []
    needs += [need for change in changes if (need := _needed_for(change, group_name))]
    return [
        f"Only {who_may(needed)} may {what}."
        for needed, what in needs
        if missing_role(actor, needed)
    ]


def _names(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def refuse_if_any(refused: list[str]) -> None:
    if refused:
        raise PermissionDenied(" ".join([*refused, NOTHING_CHANGED]))


def refuse_anonymous(user) -> None:
    """Guardian's anonymous user is given nothing: public comes from publishing alone."""
    if user.get_username() == guardian_settings.ANONYMOUS_USER_NAME:
        raise ValidationError(
            "The anonymous user holds no permissions, groups or status: only publishing makes an "
            "article public."
        )
