"""The visibility rule, as SQL: who reads what. ``querysets`` and ``policy`` ask these; nothing else
re-states them.

Public comes from an article's state alone: published, with a live revision, and its embargo end
(``unpublish_at``) not yet passed. Beyond that, a person sees unpublished work only if they hold
``view_article`` on the article (globally or on it) or are a superuser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from guardian.conf import settings as guardian_settings

if TYPE_CHECKING:
    from typing import TypeGuard

    from django.contrib.auth.models import User

    from articles.access.policy import Person

VIEW_CODENAME = "view_article"
SHARE_CODENAME = "share_article"


def public_article_q(prefix: str = "", now=None) -> Q:
    """The one definition of "public", for an Article reached through ``prefix`` (e.g. ``"article__"``)."""
    from articles.models import Status  # the models import this module while they load

    return Q(
        **{f"{prefix}status": Status.PUBLISHED, f"{prefix}live_revision__isnull": False}
    ) & embargo_open_q(prefix, now)


def embargo_open_q(prefix: str = "", now=None) -> Q:
    """No embargo end (``unpublish_at``), or one not yet reached: the time half of "public"."""
    now = now or timezone.now()
    return Q(**{f"{prefix}unpublish_at__isnull": True}) | Q(**{f"{prefix}unpublish_at__gt": now})


def embargo_ended(article, now=None) -> bool:
    """``embargo_open_q`` for an article in hand: has its embargo end been reached? No query."""
    now = now or timezone.now()
    return article.unpublish_at is not None and article.unpublish_at <= now


def is_public(article, now=None) -> bool:
    """``public_article_q`` for an article in hand, with no query (tests hold the two to one answer)."""
    from articles.models import Status

    return (
        article.status == Status.PUBLISHED
        and article.live_revision_id is not None
        and not embargo_ended(article, now)
    )


def is_real_user(user: Person | None) -> TypeGuard[User]:
    """An active, signed-in person: never Django's AnonymousUser, nor guardian's anonymous row."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.get_username() != guardian_settings.ANONYMOUS_USER_NAME
    )


def grant_shape(user: Person) -> str:
    """Which of ``granted_article_ids_q``'s three forms of SQL ``user`` gets: "nobody" (not a real
    user), "superuser", or "reader" (whose grants are looked up by their id, the only per-person
    value in it). ``prepared`` compiles each form once."""
    if not is_real_user(user):
        return "nobody"
    return "superuser" if user.is_superuser else "reader"


def granted_article_ids_q(user: Person, prefix: str = "") -> Q:
    """Articles ``user`` may read unpublished: superuser, or ``view_article`` globally or per object."""
    from articles.models import ArticleGroupObjectPermission, ArticleUserObjectPermission

    if not is_real_user(user):
        return Q(pk__in=[])
    if user.is_superuser:
        # Not Q(): "public | Q()" drops the empty Q and would leave superusers the public set only.
        return Q(**{f"{prefix}pk__isnull": False})
    view = {
        "permission__codename": VIEW_CODENAME,
        "permission__content_type__app_label": "articles",
    }
    globally = Exists(
        Permission.objects.filter(
            codename=VIEW_CODENAME,
            content_type__app_label="articles",
            content_type__model="article",
        ).filter(Q(user=user) | Q(group__user=user))
    )
    by_user = ArticleUserObjectPermission.objects.filter(user=user, **view).values("content_object")
    by_group = ArticleGroupObjectPermission.objects.filter(group__user=user, **view).values(
        "content_object"
    )
    return Q(globally) | Q(**{f"{prefix}pk__in": by_user}) | Q(**{f"{prefix}pk__in": by_group})


def holds_article_permission_q(codename: str, *, user: str, article: str) -> Q:
    """Does the user at field ``user`` hold ``codename`` on the article at field ``article``?

    The same answer as ``policy.has_article_permission`` (superuser, global by user or group, or on
    the object by user or group), as SQL on another model's rows, so a share link's creator can be
    checked in the query that finds the link. Activity is checked by the caller.
    """
    from articles.models import ArticleGroupObjectPermission, ArticleUserObjectPermission

    perm = {"permission__codename": codename, "permission__content_type__app_label": "articles"}
    globally = Permission.objects.filter(
        codename=codename, content_type__app_label="articles", content_type__model="article"
    ).filter(Q(user=OuterRef(user)) | Q(group__user=OuterRef(user)))
    by_user = ArticleUserObjectPermission.objects.filter(
        user=OuterRef(user), content_object=OuterRef(article), **perm
    )
    by_group = ArticleGroupObjectPermission.objects.filter(
        group__user=OuterRef(user), content_object=OuterRef(article), **perm
    )
    return (
        Q(**{f"{user}__is_superuser": True})
        | Q(Exists(globally))
        | Q(Exists(by_user))
        | Q(Exists(by_group))
    )


def real_people(queryset):
    """``queryset`` of users without guardian's anonymous row, which is nobody's account."""
    return queryset.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
