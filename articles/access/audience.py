"""Who has access: the audience of an article (people, groups, share links, API tokens) and who
holds permissions everywhere.

It answers for the Access page, ``manage.py who_can_see`` and the exposure audit, with the same
vocabulary as the per-object answers (``policy``): a grant of change, publish or share without view
is listed as worth nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.conf import settings as guardian_settings

from articles.access.policy import ARTICLE_PERMS, GLOBAL_PERMS, VIEW, effective_perms
from articles.access.resolve import not_public_banner
from articles.models import (
    ApiToken,
    Article,
    ArticleGroupObjectPermission,
    ArticleUserObjectPermission,
    PreviewLink,
)

# (kind, name, scope) -> the codenames held: kind "user" or "group", scope as Holder.scope.
Grants = dict[tuple[str, str, str], set[str]]


@dataclass(frozen=True)
class Holder:
    """A user or group holding article permissions, and where they come from."""

    kind: str  # "user" or "group"
    name: str
    perms: tuple[str, ...]  # short names: view, change, publish, share
    scope: str  # "article" (granted on this article), "global" or "superuser"
    members: tuple[str, ...] = ()


def link_end_reason(link: PreviewLink, now: datetime | None = None) -> str | None:
    """Why a link (annotated by ``PreviewLinkQuerySet.with_state``) no longer works; None if it does."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return link.revoked_reason or "revoked"
    if link.expires_at <= now:
        return "expired"
    if not link.creator_active:
        if link.created_by_id is None:
            return "its creator's account was deleted"
        return "its creator's account is deactivated"
    if not link.creator_may_view:
        return "its creator no longer holds view on this article"
    if not link.creator_may_share:
        return "its creator no longer holds share on this article"
    return None


@dataclass(frozen=True)
class EndedLink:
    """A share link that would not have expired yet but no longer works, and why."""

    link: PreviewLink
    reason: str


@dataclass(frozen=True)
class Audience:
    """Everyone who may see an article besides the public, and whether the public may."""

    article: Article
    is_public: bool
    public_since: datetime | None
    holders: tuple[Holder, ...]
    preview_links: tuple[PreviewLink, ...]
    # Grants on this article held by deactivated accounts: no access now, back on reactivation.
    dormant: tuple[Holder, ...] = ()
    # Links revoked, or whose creator lost access, before they would have expired.
    ended_links: tuple[EndedLink, ...] = ()
    # Working personal API tokens of the people above who may view it: each reads what its owner may.
    api_tokens: tuple[ApiToken, ...] = ()

    @property
    def why_not_public(self) -> str:
        """Why the public cannot read it, e.g. "draft", "embargo ended", "scheduled for …"."""
        return not_public_banner(self.article).removeprefix("Not public — ")

    @property
    def on_article(self) -> tuple[Holder, ...]:
        """The holders granted permissions on this article alone."""
        return tuple(h for h in self.holders if h.scope == "article")

    @property
    def global_holders(self) -> tuple[Holder, ...]:
        """The holders whose permissions cover every article."""
        return tuple(h for h in self.holders if h.scope == "global")

    @property
    def superusers(self) -> tuple[Holder, ...]:
        """The active superusers, who may do anything to any article."""
        return tuple(h for h in self.holders if h.scope == "superuser")


def _viewers(collected: Grants, members: dict[str, list[str]]) -> set[str]:
    """The usernames among ``collected`` who may view: by their own grant, a group's, or as superuser."""
    viewers = set()
    for (kind, name, scope), codenames in collected.items():
        if scope == "superuser" or VIEW in codenames:
            viewers.update([name] if kind == "user" else members.get(name, []))
    return viewers


def _unexpired_links(article: Article) -> tuple[list[PreviewLink], list[EndedLink]]:
    """The share links on ``article`` not yet expired: those that work, and those that ended early."""
    now = timezone.now()
    unexpired = (
        PreviewLink.objects.with_state(now=now)
        .filter(article=article, expires_at__gt=now)
        .select_related("created_by", "revision")
        .order_by("expires_at", "pk")
    )
    links: list[PreviewLink] = []
    ended: list[EndedLink] = []
    for link in unexpired:
        if link.is_live:
            links.append(link)
        else:
            ended.append(EndedLink(link, link_end_reason(link, now) or "no longer works"))
    return links, ended


def _working_tokens(viewers: set[str]) -> list[ApiToken]:
    """The working personal API tokens of ``viewers``: each reads what its owner may."""
    now = timezone.now()
    return list(
        ApiToken.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            revoked_at__isnull=True,
            owner__is_active=True,
            owner__username__in=sorted(viewers),
        )
        .select_related("owner")
        .order_by("owner__username", "pk")
    )


def who_can_see(article: Article) -> Audience:
    """The users, groups and working share links with access to ``article``, globally or on it.

    A fixed number of queries however many people hold grants; guardian's anonymous user is never
    listed, and inactive users only among ``dormant`` (their grants on this article).
    """
    collected, dormant, group_grants = _grants(article)
    members = _members(group_grants)
    viewers = _viewers(collected, members)
    flagged = Article.objects.with_public_flag().get(pk=article.pk)
    links, ended = _unexpired_links(article)
    return Audience(
        article=article,
        is_public=flagged.is_public,
        public_since=flagged.published_at if flagged.is_public else None,
        holders=_holders(collected, members, viewers=viewers),
        preview_links=tuple(links),
        dormant=_holders(dormant, members),
        ended_links=tuple(ended),
        api_tokens=tuple(_working_tokens(viewers)),
    )


def _grants(article: Article) -> tuple[Grants, Grants, tuple[QuerySet, QuerySet]]:
    """What is held on ``article`` or globally: (active, dormant, the groups' grant rows)."""
    User = get_user_model()
    anonymous = guardian_settings.ANONYMOUS_USER_NAME
    collected: Grants = {}
    dormant: Grants = {}

    def add(kind: str, name: str, scope: str, codename: str, *, active: bool = True) -> None:
        (collected if active else dormant).setdefault((kind, name, scope), set()).add(codename)

    for name, is_active, codename in (
        ArticleUserObjectPermission.objects.filter(
            content_object=article, permission__codename__in=ARTICLE_PERMS
        )
        .exclude(user__username=anonymous)
        .values_list("user__username", "user__is_active", "permission__codename")
    ):
        add("user", name, "article", codename, active=is_active)
    object_groups = ArticleGroupObjectPermission.objects.filter(
        content_object=article, permission__codename__in=ARTICLE_PERMS
    )
    for name, codename in object_groups.values_list("group__name", "permission__codename"):
        add("group", name, "article", codename)
    global_perms = Permission.objects.filter(
        content_type__app_label="articles", codename__in=GLOBAL_PERMS
    )
    for name, codename in (
        User.user_permissions.through.objects.filter(
            permission__in=global_perms, user__is_active=True
        )
        .exclude(user__username=anonymous)
        .values_list("user__username", "permission__codename")
    ):
        add("user", name, "global", codename)
    global_groups = Group.permissions.through.objects.filter(permission__in=global_perms)
    for name, codename in global_groups.values_list("group__name", "permission__codename"):
        add("group", name, "global", codename)
    for name in (
        User.objects.filter(is_superuser=True, is_active=True)
        .exclude(username=anonymous)
        .values_list("username", flat=True)
    ):
        collected[("user", name, "superuser")] = set(ARTICLE_PERMS)
    return collected, dormant, (object_groups, global_groups)


def _members(group_grants: tuple[QuerySet, QuerySet]) -> dict[str, list[str]]:
    """The active members of the groups holding grants (on the article, global), by group name."""
    User = get_user_model()
    on_article, everywhere = group_grants
    members: dict[str, list[str]] = {}
    # Subqueries rather than collected names: one query however many groups hold grants.
    for group, username in (
        User.groups.through.objects.filter(
            Q(group__in=on_article.values("group")) | Q(group__in=everywhere.values("group")),
            user__is_active=True,
        )
        .exclude(user__username=guardian_settings.ANONYMOUS_USER_NAME)
        .values_list("group__name", "user__username")
        .distinct()
    ):
        members.setdefault(group, []).append(username)
    return members


def _holders(
    found: Grants, members: dict[str, list[str]], *, viewers: set[str] | None = None
) -> tuple[Holder, ...]:
    """``found`` as Holders; with ``viewers``, a user's change/publish/share without view is void
    (policy.REQUIRES_VIEW); without, the grants are listed as held (dormant accounts)."""

    def worth(kind: str, name: str, codenames: set[str]) -> set[str]:
        if viewers is None:
            return codenames
        return effective_perms(codenames, may_view=kind != "user" or name in viewers)

    return tuple(
        Holder(
            kind=kind,
            name=name,
            perms=tuple(c.removesuffix("_article") for c in GLOBAL_PERMS if c in held),
            scope=scope,
            members=tuple(sorted(members.get(name, []))) if kind == "group" else (),
        )
        for (kind, name, scope), codenames in sorted(found.items())
        if (held := worth(kind, name, codenames))
    )


@dataclass(frozen=True)
class GlobalHolding:
    """A non-superuser holding one permission everywhere, directly or through a group."""

    username: str
    permission: str  # "app_label.codename"
    via_group: str | None = None

    @property
    def source(self) -> str:
        return f"through group “{self.via_group}”" if self.via_group else "directly"


def global_permission_holders(labels: Iterable[str]) -> list[GlobalHolding]:
    """Active non-superusers holding any of ``labels`` (``"app_label.codename"``) globally.

    Superusers hold everything and are counted apart; guardian's anonymous user is never listed.
    Four queries, however many people hold them.
    """
    wanted = Q(pk__in=[])
    for label in labels:
        app_label, codename = label.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = {
        pk: f"{app_label}.{codename}"
        for pk, app_label, codename in Permission.objects.filter(wanted).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    User = get_user_model()
    people = Q(user__is_active=True, user__is_superuser=False) & ~Q(
        user__username=guardian_settings.ANONYMOUS_USER_NAME
    )
    found = [
        GlobalHolding(username, permissions[permission_id])
        for username, permission_id in User.user_permissions.through.objects.filter(
            people, permission_id__in=permissions
        ).values_list("user__username", "permission_id")
    ]
    by_group: dict[int, list[int]] = {}
    for group_id, permission_id in Group.permissions.through.objects.filter(
        permission_id__in=permissions
    ).values_list("group_id", "permission_id"):
        by_group.setdefault(group_id, []).append(permission_id)
    for username, group_id, group_name in User.groups.through.objects.filter(
        people, group_id__in=by_group
    ).values_list("user__username", "group_id", "group__name"):
        found += [
            GlobalHolding(username, permissions[permission_id], group_name)
            for permission_id in by_group[group_id]
        ]
    return sorted(found, key=lambda h: (h.username, h.permission, h.via_group or ""))
