"""Changes to an account itself: its username, names and e-mail, and its password."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.conf import settings as guardian_settings

from articles.access.policy import Actor, is_system
from articles.access.rules import is_real_user
from articles.models import Article, AuditEvent, byline_of
from articles.publishing.audit import audit_record
from articles.publishing.people.changes import Change, audit_change
from articles.publishing.people.rules import (
    ACCESS_ADMIN,
    is_access_administrator,
    missing_role,
    refusals,
    refuse_anonymous,
    refuse_if_any,
    who_may,
)
from articles.web.caching import purge_public_pages

# What the trail writes as the actor for the shell and for nobody (services.audit_record): a person
# called so would pass for them.
RESERVED_USERNAMES = ("system", "anonymous")


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


def _details_refusals(actor: Actor, stored, changes: list[Change]) -> list[str]:
    refused = refusals(actor, [], of_superuser=bool(stored and stored.is_superuser))
    may_edit_accounts = is_system(actor) or (
        is_access_administrator(actor) or actor.has_perm("auth.change_user")
    )
    if changes and not refused and not may_edit_accounts:
        refused.append("Only holders of “Can change user” may change names or e-mail addresses.")
    if any(c.field == "username" for c in changes) and missing_role(actor, ACCESS_ADMIN):
        refused.append(
            f"Only {who_may(ACCESS_ADMIN)} may change a username: grants, imports and the audit "
            "trail name people by it."
        )
    return refused


def _validate_details(user, changes: list[Change]) -> None:
    """The username's rules, then the model's own (length, characters, e-mail syntax)."""
    renamed = next((c.after for c in changes if c.field == "username"), None)
    if isinstance(renamed, str) and (problem := username_problem(renamed, user=user)):
        raise ValidationError({"username": problem})
    # For callers without a form: the shell.
    candidate = type(user).objects.get(pk=user.pk)
    for change in changes:
        setattr(candidate, change.field, change.after)
    changed = {change.field for change in changes}
    candidate.clean_fields(
        exclude=[f.name for f in candidate._meta.fields if f.name not in changed]
    )


def user_details_check(*, actor: Actor, user, **details: str | None) -> list[Change]:
    """The changes ``user_details_change`` would make, or PermissionDenied / ValidationError."""
    stored = type(user).objects.filter(pk=user.pk).first()
    changes = [
        Change(field, getattr(stored, field), value)
        for field, value in details.items()
        if value is not None and value != getattr(stored, field)
    ]
    refuse_if_any(_details_refusals(actor, stored, changes))
    if changes:
        refuse_anonymous(user)
        _validate_details(user, changes)
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
        events = [audit_change(actor, change, target_user=user) for change in changes]
        if byline_of(user) != byline_before:
            public = Article.objects.published().filter(author=user)
            slugs = list(public.values_list("slug", flat=True))
            if slugs:
                purge_public_pages(slugs=slugs)
        return events


def user_password_check(*, actor: Actor, user) -> None:
    """PermissionDenied unless ``actor`` may set ``user``'s password (their own is another door)."""
    refuse_anonymous(user)
    if not is_system(actor) and is_real_user(actor) and actor.pk == user.pk:
        return
    of_superuser = type(user).objects.filter(pk=user.pk, is_superuser=True).exists()
    refused = refusals(actor, [], of_superuser=of_superuser)
    if not refused and missing_role(actor, ACCESS_ADMIN):
        # Whoever sets a password can sign in as that person and read what they may read.
        refused.append(f"Only {who_may(ACCESS_ADMIN)} may set another person's password.")
    refuse_if_any(refused)


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
