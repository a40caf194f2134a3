"""The one answer to "may this person see this?", used by every door.

| the article is …                         | outsider / no grant | grant holder / superuser | share link |
|------------------------------------------|---------------------|--------------------------|------------|
| draft, in review, scheduled, withdrawn   | 404                 | latest revision + banner | latest     |
| published                                | live revision       | live; working draft at /draft/ | latest |
| published, embargo end passed            | 404                 | as withdrawn             | 404        |

Denials raise the one 404 built by ``deny()``, so a hidden object and a missing one look the same.
"""

from dataclasses import dataclass

from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Asset, PreviewLink, Revision, Status
from articles.querysets import is_real_user

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


def _find_article(slug: str) -> Article:
    article = (
        Article.objects.with_public_flag()
        .select_related("live_revision", "latest_revision", "author")
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise deny()
    return article


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
    article = _find_article(slug)
    if article.is_public and not working_draft:
        has_unpublished_edit = article.latest_revision_id != article.live_revision_id
        draft_url = None
        if has_unpublished_edit and may_read_unpublished(user, article):
            draft_url = reverse("article-draft", args=[article.slug])
        return ArticleView(article, article.live_revision, is_public=True, draft_url=draft_url)
    if not may_read_unpublished(user, article):
        raise deny()
    banner = not_public_banner(article, working_draft_of_live=article.is_public)
    return ArticleView(article, article.latest_revision, is_public=False, banner=banner)


def preview_link_for(token: str) -> PreviewLink:
    """The live preview link a share token names, or the 404 (tampered, expired, revoked …)."""
    try:
        key = signing.Signer(salt=PREVIEW_SALT).unsign(token)
    except signing.BadSignature:
        raise deny() from None
    link = (
        PreviewLink.objects.select_related("article", "article__latest_revision")
        .filter(key=key)
        .first()
    )
    if link is None or not link.is_live():
        raise deny()
    return link


def preview_view(link: PreviewLink) -> ArticleView:
    """What a share-link holder sees: the working draft, always bannered, never cacheable."""
    article = link.article
    if (
        article.status == Status.PUBLISHED
        and article.unpublish_at
        and article.unpublish_at <= (timezone.now())
    ):
        raise deny()
    is_live_draft = article.status == Status.PUBLISHED
    banner = not_public_banner(
        article,
        working_draft_of_live=is_live_draft
        and article.latest_revision_id != article.live_revision_id,
    )
    if is_live_draft and article.latest_revision_id == article.live_revision_id:
        banner = "Preview link — this revision is also live"
    return ArticleView(article, article.latest_revision, is_public=False, banner=banner)


def asset_for(user, token: str, name: str, *, preview_link: PreviewLink | None = None):
    """The asset at ``/assets/<token>/<name>`` and whether it is public, or raise the 404.

    Public: it belongs to the live revision of a public article. Otherwise only a grant holder on its
    article, or a share link to its article (for assets of the working draft), may have it.
    """
    asset = Asset.objects.with_public_flag().select_related("article").filter(token=token).first()
    if asset is None or asset.download_name != name:
        raise deny()
    if asset.is_public:
        return asset, True
    if preview_link is not None:
        if preview_link.article_id == asset.article_id and (
            preview_link.article.latest_revision.assets.filter(pk=asset.pk).exists()
        ):
            return asset, False
        raise deny()
    if may_read_unpublished(user, asset.article):
        return asset, False
    raise deny()
