"""The permission vocabulary, written once, and the one answer to "may this person do this?".

Short names (``view``, ``change``, ``publish``, ``share``) are what people type (``manage.py grant``,
the Access page, front matter); codenames are what guardian stores. ``change``, ``publish`` and
``share`` each *require* ``view``: holding one of them without ``view`` grants nothing, so the
SQL that decides who reads a draft (``rules.granted_article_ids_q``, view only) and the per-object
answers here can never disagree about a person.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from articles.access.rules import is_real_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from typing_extensions import TypeIs

VIEW = "view_article"
CHANGE = "change_article"
PUBLISH = "publish_article"
SHARE = "share_article"

# short name -> codename, in the order people are shown them.
PERMISSIONS: dict[str, str] = {"view": VIEW, "change": CHANGE, "publish": PUBLISH, "share": SHARE}
ARTICLE_PERMS: tuple[str, ...] = tuple(PERMISSIONS.values())
# Held globally, administer_access lets its holder give anyone (themselves too) the others.
GLOBAL_PERMS: tuple[str, ...] = (*ARTICLE_PERMS, "administer_access")
# What implies what: each of these is void without view on the same article.
REQUIRES_VIEW: frozenset[str] = frozenset({CHANGE, PUBLISH, SHARE})
# What the creator of an article is given on it, and what a share link's creator must keep.
CREATOR_PERMISSIONS: tuple[str, ...] = (VIEW, CHANGE, SHARE)
LINK_CREATOR_PERMISSIONS: tuple[str, ...] = (VIEW, SHARE)


@dataclass(frozen=True)
class SystemActor:
    """The site itself acting (a command, the publication worker, an import, the demo), named for
    the audit trail. It passes every permission check, so callers must say so: ``None`` is refused.
    (As Wagtail's ``skip_permission_checks``, but a value one has to write down.)"""

    reason: str = "system"

    def __str__(self) -> str:
        return self.reason


# The shell, the worker and the loaders act as this; a caller may name its own SystemActor(...).
SYSTEM = SystemActor("system")

# Someone asking to see something: signed in (perhaps without any right) or not.
type Person = User | AnonymousUser
# Whoever a service acts for: a person, or the site itself (never None).
type Actor = User | AnonymousUser | SystemActor


def is_system(actor: Actor | None) -> "TypeIs[SystemActor]":
    """Whether ``actor`` is the site itself; ``None`` is a mistake, not the site."""
    if actor is None:
        raise TypeError(
            "actor is required: pass the person acting, or access.SYSTEM for the site itself."
        )
    return isinstance(actor, SystemActor)


def person(actor: Actor) -> "User | None":
    """The user behind ``actor``, what a created_by column stores: None for the site itself, and
    for anyone not signed in (who passes no permission check, so never gets as far as writing)."""
    return actor if not is_system(actor) and is_real_user(actor) else None


def short_name(codename: str) -> str:
    """``"publish_article"`` -> ``"publish"``."""
    return codename.removesuffix("_article")


def _holds(actor: "User", codename: str, article) -> bool:
    perm = f"articles.{codename}"
    return actor.has_perm(perm) or (article is not None and actor.has_perm(perm, article))


def has_article_permission(actor: Actor, codename: str, article=None) -> bool:
    """Whether ``actor`` holds ``codename`` globally or on ``article``, with ``view`` where it is
    required; the site itself (``SYSTEM``) holds all, and ``None`` is refused (TypeError)."""
    if is_system(actor):
        return True
    if not is_real_user(actor):
        return False
    if codename in REQUIRES_VIEW and not _holds(actor, VIEW, article):
        return False
    return _holds(actor, codename, article)


def require_permission(actor: Actor, codename: str, article, doing: str) -> None:
    """Refuse (PermissionDenied, in words a person can act on) unless ``has_article_permission``."""
    if not has_article_permission(actor, codename, article):
        target = f" “{article.slug}”" if article is not None and article.pk else ""
        raise PermissionDenied(f"You do not have permission to {doing}{target}.")


def effective_perms(codenames: set[str], *, may_view: bool) -> set[str]:
    """What a set of held codenames is worth to someone who may (or may not) view the article."""
    return set(codenames) if may_view else set(codenames) - REQUIRES_VIEW
