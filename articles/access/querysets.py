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
SHARE_CODENAME = "share_article"


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


def holds_article_permission_q(codename: str, *, user: str, article: str) -> Q:
    """Does the user at field ``user`` hold ``codename`` on the article at field ``article``?

    The same answer as ``services.has_article_permission`` (superuser, global by user or group, or on
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


def _flag(q: Q) -> ExpressionWrapper:
    return ExpressionWrapper(q, output_field=BooleanField())


class PreviewLinkQuerySet(models.QuerySet):
    def with_state(self, now=None):
        """Annotate each link with the facts that decide whether it works, and ``is_live``.

        A link works while it is neither revoked nor expired and its creator (unless the shell issued
        it) is active and still holds both ``share_article`` and ``view_article`` on its article.
        """
        now = now or timezone.now()
        shell = Q(issued_by_shell=True)
        creator_active = shell | Q(created_by__is_active=True)
        may_view = shell | holds_article_permission_q(
            VIEW_CODENAME, user="created_by", article="article"
        )
        may_share = shell | holds_article_permission_q(
            SHARE_CODENAME, user="created_by", article="article"
        )
        unexpired = Q(revoked_at__isnull=True, expires_at__gt=now)
        return self.annotate(
            creator_active=_flag(creator_active),
            creator_may_view=_flag(may_view),
            creator_may_share=_flag(may_share),
            is_live=_flag(unexpired & creator_active & may_view & may_share),
        )

    def live(self, now=None):
        """The links that work right now."""
        return self.with_state(now=now).filter(is_live=True)


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Spellings ``user`` can see on some article: a public live revision, or any revision of an
        article granted to them. A spelling used only where they cannot look is not theirs to learn.
        """
        from articles.models import Article, Revision

        on_public = Article.objects.published().filter(live_revision__tags=OuterRef("pk"))
        on_granted = Revision.objects.filter(
            tags=OuterRef("pk"), article__in=Article.objects.granted_to(user)
        )
        return self.filter(Q(Exists(on_public)) | Q(Exists(on_granted)))
