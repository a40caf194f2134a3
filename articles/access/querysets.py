"""Chainable reads (``Article.objects.published()``, ``.visible_to(user)``), built on ``rules``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from articles.access.rules import (
    SHARE_CODENAME,
    VIEW_CODENAME,
    granted_article_ids_q,
    holds_article_permission_q,
    public_article_q,
)

if TYPE_CHECKING:
    from articles.access.policy import Person


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Articles anyone may read, right now."""
        return self.filter(public_article_q(now=now))

    def granted_to(self, user: Person):
        """Articles whose unpublished revisions ``user`` may read, whatever their state."""
        return self.filter(granted_article_ids_q(user))

    def visible_to(self, user: Person, now=None):
        """Everything ``user`` may see: the public articles plus those granted to them. One query."""
        return self.filter(public_article_q(now=now) | granted_article_ids_q(user))

    def with_public_flag(self, now=None):
        """Annotate ``is_public`` so a fetched article carries the rule's verdict, not a re-statement."""
        return self.annotate(
            is_public=ExpressionWrapper(public_article_q(now=now), output_field=BooleanField())
        )

    def with_grant_flag(self, user: Person):
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

    def with_grant_flag(self, user: Person):
        """Annotate ``is_granted``: may ``user`` read its article unpublished? In the same query."""
        return self.annotate(
            is_granted=ExpressionWrapper(
                granted_article_ids_q(user, "article__"), output_field=BooleanField()
            )
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
    def visible_to(self, user: Person):
        """Spellings ``user`` can see on some article: a public live revision, or any revision of an
        article granted to them. A spelling used only where they cannot look is not theirs to learn.
        """
        from articles.models import Article, Revision

        on_public = Article.objects.published().filter(live_revision__tags=OuterRef("pk"))
        on_granted = Revision.objects.filter(
            tags=OuterRef("pk"), article__in=Article.objects.granted_to(user)
        )
        return self.filter(Q(Exists(on_public)) | Q(Exists(on_granted)))
