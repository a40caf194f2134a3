"""The one answer to "may this person see this?", used by every door.

| the article is …                         | outsider / no grant | grant holder / superuser | share link |
|------------------------------------------|---------------------|--------------------------|------------|
| draft, in review, scheduled, withdrawn   | 404                 | latest revision + banner | its revision |
| published                                | live revision       | live; working draft at /draft/ | its revision |
| published, embargo end passed            | 404                 | as withdrawn             | 404        |

Denials raise the one 404 built by ``deny()``, so a hidden object and a missing one look the same.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from guardian.conf import settings as guardian_settings

from articles.access.policy import ARTICLE_PERMS, GLOBAL_PERMS, VIEW, effective_perms
from articles.access.rules import is_real_user
from articles.models import (
    ApiToken,
    Article,
    ArticleGroupObjectPermission,
    ArticleUserObjectPermission,
    Asset,
    PreviewLink,
    Revision,
    Status,
)

PREVIEW_SALT = "embargo.preview-link"


def deny() -> Http404:
    """The single denial: identical to "this never existed". Callers ``raise deny()``."""
    return Http404()


def may_read_unpublished(user, article: Article) -> bool:
    """Does ``user`` hold ``view_article`` on ``article`` (globally or on it), or is a superuser?"""
    if not is_real_user(user):
        return False
    return Article.objects.granted_to(user).filter(pk=article.pk).exists()


def may_view(user, article: Article) -> bool:
    """May ``user`` see ``article`` at all (its live revision if public, else its working draft)?"""
    return Article.objects.visible_to(user).filter(pk=article.pk).exists()


@dataclass(frozen=True)
class ArticleView:
    """What one person gets at an article's URL."""

    article: Article
    revision: Revision
    is_public: bool
    banner: str | None = None
    draft_url: str | None = None


# The row the decision is made on: identity, state and revision ids, never a revision's words.
# A hidden draft's body (megabytes) must cost nothing before access is granted: a slug that exists
# and one that never did then read the same, small, row (or none) in the same one query.
DECISION_FIELDS = (
    "slug",
    "status",
    "publish_at",
    "unpublish_at",
    "published_at",
    "live_revision_id",
    "latest_revision_id",
    # The byline, for the page once access is granted: a few short names, whatever the draft.
    "author__username",
    "author__first_name",
    "author__last_name",
)


def _find_article(user, slug: str) -> Article:
    # Whether ``user`` holds a grant comes back with the row: no second query for an existing slug.
    article = (
        Article.objects.with_public_flag()
        .with_grant_flag(user)
        .select_related("author")
        .only(*DECISION_FIELDS)
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise deny()
    return article


def _revision_shown(article: Article, revision_id: int) -> Revision:
    """The one revision access was granted to, read only now (revisions never change once saved)."""
    # Its tags with it: the page and its metadata both list them, from this one prefetch.
    revision = Revision.objects.prefetch_related("tags").get(pk=revision_id)
    # Cached on the article too, so what renders it (metadata, Last-Modified) reads no more.
    if revision_id == article.live_revision_id:
        article.live_revision = revision
    if revision_id == article.latest_revision_id:
        article.latest_revision = revision
    return revision


def not_public_banner(article: Article, *, working_draft_of_live: bool = False) -> str:
    if working_draft_of_live:
        return "Not public — unpublished working draft of a live article"
    if article.status == Status.SCHEDULED and article.publish_at:
        when = timezone.localtime(article.publish_at).strftime("%d %b %Y %H:%M %Z")
        return f"Not public — scheduled for {when}"
    if article.status == Status.PUBLISHED:
        return "Not public — embargo ended"
    return f"Not public — {article.get_status_display().lower()}"


def article_view(user, slug: str, *, working_draft: bool = False) -> ArticleView:
    """Resolve ``/articles/<slug>/`` (or its ``/draft/``) for ``user``, or raise the 404."""
    article = _find_article(user, slug)
    if article.is_public and not working_draft:
        has_unpublished_edit = article.latest_revision_id != article.live_revision_id
        draft_url = None
        if has_unpublished_edit and article.is_granted:
            draft_url = reverse("article-draft", args=[article.slug])
        revision = _revision_shown(article, article.live_revision_id)
        return ArticleView(article, revision, is_public=True, draft_url=draft_url)
    if not article.is_granted or article.latest_revision_id is None:
        raise deny()
    banner = not_public_banner(article, working_draft_of_live=article.is_public)
    revision = _revision_shown(article, article.latest_revision_id)
    return ArticleView(article, revision, is_public=False, banner=banner)


def preview_link_for(token: str) -> PreviewLink:
    """The working share link a token names, or the 404 (tampered, expired, revoked, or its creator
    deactivated or without ``share`` or ``view`` on the article any more)."""
    try:
        key = signing.Signer(salt=PREVIEW_SALT).unsign(token)
    except signing.BadSignature:
        # Still one lookup (of a key no link has), so a spoilt token costs what a dead link costs.
        key = ""
    link = PreviewLink.objects.live().select_related("article", "revision").filter(key=key).first()
    if link is None:
        raise deny()
    return link


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M %Z")


def preview_banner(link: PreviewLink) -> str:
    """Which version a share link shows: its revision, and whether that is live, current or older."""
    article, revision = link.article, link.revision
    version = f"revision {revision.number} of {_when(revision.created_at)}"
    if article.status == Status.PUBLISHED and revision.pk == article.live_revision_id:
        return f"Preview link — {version}, the live version"
    if revision.pk == article.latest_revision_id:
        state = not_public_banner(article, working_draft_of_live=article.status == Status.PUBLISHED)
        return f"{state} — {version}, the current draft"
    return f"Not public — {version}, an older version than the current draft"


def preview_view(link: PreviewLink) -> ArticleView:
    """What a share-link holder sees: the revision the link shares, always bannered, never cacheable."""
    article = link.article
    # Still refused once publish_scheduled has withdrawn it: the embargo end is final for a link.
    if (
        article.status in (Status.PUBLISHED, Status.WITHDRAWN)
        and article.unpublish_at
        and article.unpublish_at <= (timezone.now())
    ):
        raise deny()
    return ArticleView(article, link.revision, is_public=False, banner=preview_banner(link))


def asset_for(user, token: str, name: str, *, preview_link: PreviewLink | None = None):
    """The asset at ``/assets/<token>/<name>`` and whether it is public, or raise the 404.

    Public: it belongs to the live revision of a public article. Otherwise only a grant holder on its
    article, or a share link to its article (for assets of the revision it shares), may have it.
    Through a share link the answer is always "not public": the URL carries the token.
    """
    asset = (
        Asset.objects.with_public_flag()
        .with_grant_flag(user)
        .select_related("article")
        .filter(token=token)
        .first()
    )
    if asset is None or asset.download_name != name:
        raise deny()
    if preview_link is not None:
        # Scoped before "is it public?": a link reaches the files of the revision it shares and
        # nothing else, and nothing at all once its page is refused (e.g. the embargo ended).
        preview_view(preview_link)
        if preview_link.article_id == asset.article_id and (
            preview_link.revision.assets.filter(pk=asset.pk).exists()
        ):
            return asset, False
        raise deny()
    if asset.is_public:
        return asset, True
    if asset.is_granted:
        return asset, False
    raise deny()


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


def _viewers(
    collected: dict[tuple[str, str, str], set[str]], members: dict[str, list[str]]
) -> set[str]:
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
    User = get_user_model()
    anonymous = guardian_settings.ANONYMOUS_USER_NAME
    collected: dict[tuple[str, str, str], set[str]] = {}
    dormant: dict[tuple[str, str, str], set[str]] = {}

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

    # Subqueries rather than the names collected above: one query however many groups hold grants.
    members: dict[str, list[str]] = {}
    for group, username in (
        User.groups.through.objects.filter(
            Q(group__in=object_groups.values("group")) | Q(group__in=global_groups.values("group")),
            user__is_active=True,
        )
        .exclude(user__username=anonymous)
        .values_list("group__name", "user__username")
        .distinct()
    ):
        members.setdefault(group, []).append(username)

    viewers = _viewers(collected, members)

    def worth(kind: str, name: str, codenames: set[str]) -> set[str]:
        # A user's change/publish/share without view is void (policy.REQUIRES_VIEW).
        return effective_perms(codenames, may_view=kind != "user" or name in viewers)

    def holders(found: dict[tuple[str, str, str], set[str]]) -> tuple[Holder, ...]:
        return tuple(
            Holder(
                kind=kind,
                name=name,
                perms=tuple(c.removesuffix("_article") for c in GLOBAL_PERMS if c in held),
                scope=scope,
                members=tuple(sorted(members.get(name, []))) if kind == "group" else (),
            )
            for (kind, name, scope), codenames in sorted(found.items())
            if (held := worth(kind, name, codenames) if found is collected else codenames)
        )

    flagged = Article.objects.with_public_flag().get(pk=article.pk)
    links, ended = _unexpired_links(article)
    api_tokens = _working_tokens(viewers)
    return Audience(
        article=article,
        is_public=flagged.is_public,
        public_since=flagged.published_at if flagged.is_public else None,
        holders=holders(collected),
        preview_links=tuple(links),
        dormant=holders(dormant),
        ended_links=tuple(ended),
        api_tokens=tuple(api_tokens),
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
