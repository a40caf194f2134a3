"""The visibility rule, as SQL. ``access.py`` answers questions with these; nothing else re-states them.

Public comes from an article's state alone: published, with a live revision, and its embargo end
(``unpublish_at``) not yet passed. Beyond that, a person sees unpublished work only if they hold
``view_article`` on the article (globally or on the object) or are a superuser.
"""

from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from guardian.conf import settings as guardian_settings

VIEW_CODENAME = "view_article"


def public_article_q(prefix: str = "", now=None) -> Q:
    """The one definition of "public", for an Article reached through ``prefix`` (e.g. ``"article__"``)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": "published", f"{prefix}live_revision__isnull": False}) & (
        Q(**{f"{prefix}unpublish_at__isnull": True}) | Q(**{f"{prefix}unpublish_at__gt": now})
    )


def is_real_user(user) -> bool:
    """An active, signed-in person: never Django's AnonymousUser, nor guardian's anonymous row."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.get_username() != guardian_settings.ANONYMOUS_USER_NAME
    )


def granted_article_ids_q(user, prefix: str = "") -> Q:
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


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Articles anyone may read, right now."""
        return self.filter(public_article_q(now=now))

    def granted_to(self, user):
        """Articles whose unpublished revisions ``user`` may read, whatever their state."""
        return self.filter(granted_article_ids_q(user))

    def visible_to(self, user, now=None):
        """Everything ``user`` may see: the public articles plus those granted to them. One query."""
        return self.filter(public_article_q(now=now) | granted_article_ids_q(user))

    def with_public_flag(self, now=None):
        """Annotate ``is_public`` so a fetched article carries the rule's verdict, not a re-statement."""
        return self.annotate(
            is_public=ExpressionWrapper(public_article_q(now=now), output_field=BooleanField())
        )

    def with_grant_flag(self, user):
        """Annotate ``is_granted``: may ``user`` read it unpublished? Asked in the lookup itself,
        so a slug that exists costs the same queries as one that does not."""
        return self.annotate(
            is_granted=ExpressionWrapper(granted_article_ids_q(user), output_field=BooleanField())
        )


def in_live_revision_q() -> Exists:
    from articles.models import Revision

    return Exists(
        Revision.assets.through.objects.filter(
            revision_id=OuterRef("article__live_revision_id"), asset_id=OuterRef("pk")
        )
    )


class AssetQuerySet(models.QuerySet):
    def public(self, now=None):
        """Assets of the live revision of a published article: the only public assets."""
        return self.filter(public_article_q("article__", now=now)).filter(in_live_revision_q())

    def with_public_flag(self, now=None):
        return self.annotate(
            is_public=ExpressionWrapper(
                public_article_q("article__", now=now) & Q(in_live_revision_q()),
                output_field=BooleanField(),
            )
        )

    def with_grant_flag(self, user):
        """Annotate ``is_granted``: may ``user`` read its article unpublished? In the same query."""
        return self.annotate(
            is_granted=ExpressionWrapper(
                granted_article_ids_q(user, "article__"), output_field=BooleanField()
            )
        )
