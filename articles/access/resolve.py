"""The one answer to "may this person see this?", used by every door.

| the article is …                         | outsider / no grant | grant holder / superuser | share link |
|------------------------------------------|---------------------|--------------------------|------------|
| draft, in review, scheduled, withdrawn   | 404                 | latest revision + banner | its revision |
| published                                | live revision       | live; working draft at /draft/ | its revision |
| published, embargo end passed            | 404                 | as withdrawn             | 404        |

Denials raise the one 404 built by ``deny()``, so a hidden object and a missing one look the same.
Who has access (the other direction: from an article to its people) is ``audience``.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db.models import Q, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from articles import soft_cache
from articles.access import prepared, rules
from articles.access.policy import Person
from articles.access.rules import embargo_ended, is_real_user
from articles.models import (
    Article,
    Asset,
    PageCacheGeneration,
    PreviewLink,
    Revision,
    Status,
)

PREVIEW_SALT = "embargo.preview-link"


def deny() -> Http404:
    """The single denial: identical to "this never existed". Callers ``raise deny()``."""
    return Http404()


def may_read_unpublished(user: Person, article: Article) -> bool:
    """Does ``user`` hold ``view_article`` on ``article`` (globally or on it), or is a superuser?"""
    if not is_real_user(user):
        return False
    return Article.objects.granted_to(user).filter(pk=article.pk).exists()


def may_view(user: Person, article: Article) -> bool:
    """May ``user`` see ``article`` at all (its live revision if public, else its working draft)?"""
    return Article.objects.visible_to(user).filter(pk=article.pk).exists()


@dataclass(frozen=True)
class ArticleView:
    """What one person gets at an article's URL.

    The revision shown is read on first use (``revision``), once access has been decided: a page
    already rendered for this revision (``web.views``) then reads none of its words again.
    """

    article: Article
    revision_id: int
    is_public: bool
    banner: str | None = None
    draft_url: str | None = None
    shown: Revision | None = field(default=None, repr=False, compare=False)

    @property
    def revision(self) -> Revision:
        shown = self.shown
        if shown is None:
            shown = _revision_shown(self.article, self.revision_id)
            object.__setattr__(self, "shown", shown)
        return shown


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


def _article_row(user: Person, slug: str, now: datetime):
    # Whether ``user`` holds a grant comes back with the row: no second query for an existing slug.
    # So does the page-cache generation counter, read in the same statement as the state it
    # describes: a page rendered from this row may be kept under it (``web.views``) at no query.
    return (
        Article.objects.with_public_flag(now=now)
        .with_grant_flag(user)
        .annotate(
            page_cache_generation=Subquery(
                PageCacheGeneration.objects.filter(pk=1).values("value")[:1]
            )
        )
        .select_related("author")
        .only(*DECISION_FIELDS)
        .filter(slug=slug)
    )


# Only a row the person may see comes back: an article hidden from them is no row at all, as a slug
# that never existed is, so refusing it builds nothing a missing slug would not. (The working-draft
# door asks the same: that a public article exists is public knowledge; its draft is refused below.)
def _visible_article_lookup(user: Person, slug: str, now: datetime):
    return _article_row(user, slug, now).filter(Q(is_public=True) | Q(is_granted=True))


def _find_article(user: Person, slug: str) -> Article:
    article = prepared.first(_visible_article_lookup, user, slug, timezone.now())
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


def article_view(user: Person, slug: str, *, working_draft: bool = False) -> ArticleView:
    """Resolve ``/articles/<slug>/`` (or its ``/draft/``) for ``user``, or raise the 404."""
    article = _find_article(user, slug)
    if article.is_public and not working_draft and article.live_revision_id is not None:
        has_unpublished_edit = article.latest_revision_id != article.live_revision_id
        draft_url = None
        if has_unpublished_edit and article.is_granted:
            draft_url = reverse("article-draft", args=[article.slug])
        return ArticleView(article, article.live_revision_id, is_public=True, draft_url=draft_url)
    if not article.is_granted or article.latest_revision_id is None:
        raise deny()
    banner = not_public_banner(article, working_draft_of_live=article.is_public)
    return ArticleView(article, article.latest_revision_id, is_public=False, banner=banner)


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
    if article.status in (Status.PUBLISHED, Status.WITHDRAWN) and embargo_ended(article):
        raise deny()
    return ArticleView(
        article,
        link.revision_id,
        is_public=False,
        banner=preview_banner(link),
        shown=link.revision,
    )


# A public asset's row, remembered under the page-cache generation its request started with, as a
# public page is: every change of what is public replaces the generation in its own transaction, so
# a row remembered before a change is never read after it. Only public rows are kept, so a hidden
# token still runs the lookup a missing one runs; and time alone ends an embargo, so the remembered
# article's end is checked again on every read.
PUBLIC_ASSET_KEY = "embargo:public-asset:{generation}:{token}"


def _asset_row(user: Person, token: str, now: datetime):
    return (
        Asset.objects.with_public_flag(now=now)
        .with_grant_flag(user)
        .select_related("article")
        .filter(token=token)
    )


def _visible_asset_lookup(user: Person, token: str, now: datetime):
    # As for articles: a hidden asset is no row, as a token that never existed is.
    return _asset_row(user, token, now).filter(Q(is_public=True) | Q(is_granted=True))


def _find_asset(user: Person, token: str, generation: str | None, *, through_link: bool):
    key = PUBLIC_ASSET_KEY.format(generation=generation, token=token)
    if generation is not None:
        remembered = soft_cache.cache_get(key)
        if remembered is not None and rules.is_public(remembered.article):
            return remembered
    # Through a share link the link decides (``asset_for``), so any asset of that token is asked.
    lookup = _asset_row if through_link else _visible_asset_lookup
    asset = prepared.first(lookup, user, token, timezone.now())
    if generation is not None and asset is not None and asset.is_public:
        soft_cache.cache_set(key, asset, timeout=settings.EMBARGO_PUBLIC_MAX_AGE)
    return asset


def asset_for(
    user: Person,
    token: str,
    name: str,
    *,
    preview_link: PreviewLink | None = None,
    generation: str | None = None,
):
    """The asset at ``/assets/<token>/<name>`` and whether it is public, or raise the 404.

    Public: it belongs to the live revision of a public article. Otherwise only a grant holder on its
    article, or a share link to its article (for assets of the revision it shares), may have it.
    Through a share link the answer is always "not public": the URL carries the token.
    ``generation``: the page-cache generation the request started with, when it may use the page
    cache (a reader without a session); a public answer is then remembered under it.
    """
    through_link = preview_link is not None
    asset = _find_asset(
        user, token, None if through_link else generation, through_link=through_link
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
