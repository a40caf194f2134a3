"""Writing articles to files in the format ``parse`` reads: Markdown, front matter, attachments.

A published article is exported as its live revision and a scheduled one as the revision its
publisher scheduled, so a round trip can never publish an edit nobody approved.
"""

import shutil
from pathlib import Path

import frontmatter

from articles import access
from articles.models import (
    Article,
    ArticleGroupObjectPermission,
    ArticleUserObjectPermission,
    Revision,
    Status,
)
from articles.transfer.parse import SHORT_PERMS


def _export_assets(article: Article, revision, directory: Path) -> list[str]:
    """Copy ``revision``'s files to ``<slug>/<file>``; return their paths relative to ``directory``."""
    exported: list[str] = []
    for asset in revision.assets.all():
        folder = directory / article.slug
        folder.mkdir(parents=True, exist_ok=True)
        target = (folder / asset.original_name).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"{article.slug}: asset name {asset.original_name!r} is unsafe.")
        with asset.file.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        exported.append(f"{article.slug}/{asset.original_name}")
    return exported


def _export_grants(article: Article) -> list[dict]:
    """The per-article grants, users then groups, in short names."""
    return [
        {"user": username, "perm": SHORT_PERMS[codename]}
        for username, codename in ArticleUserObjectPermission.objects.filter(
            content_object=article, permission__codename__in=SHORT_PERMS
        )
        .order_by("user__username", "permission__codename")
        .values_list("user__username", "permission__codename")
    ] + [
        {"group": name, "perm": SHORT_PERMS[codename]}
        for name, codename in ArticleGroupObjectPermission.objects.filter(
            content_object=article, permission__codename__in=SHORT_PERMS
        )
        .order_by("group__name", "permission__codename")
        .values_list("group__name", "permission__codename")
    ]


def _exported_revision(article: Article) -> tuple[Revision, list[str]]:
    """The revision to export (live if public, scheduled if scheduled, else the draft) and notes."""
    notes: list[str] = []
    public = access.is_public(article)
    revision = article.live_revision if public else article.latest_revision
    if revision is None:
        raise ValueError(f"“{article.slug}” has no revision to export.")
    if public and article.latest_revision_id != article.live_revision_id:
        notes.append(
            f"{article.slug}: its unpublished working draft was not exported (only the live revision)."
        )
    if article.status == Status.SCHEDULED and article.scheduled_revision_id is not None:
        # What a publisher scheduled, so a round trip cannot schedule an edit nobody approved.
        revision = article.scheduled_revision or revision
        if article.latest_revision_id != article.scheduled_revision_id:
            notes.append(
                f"{article.slug}: its working draft, edited after scheduling, was not exported "
                "(only the scheduled revision)."
            )
    return revision, notes


def export_article(article: Article, directory: Path) -> tuple[Path, list[str]]:
    """Write ``article`` as ``<slug>.md`` plus ``<slug>/<file>`` attachments; return notes.

    A published article is exported as its live revision, so an unpublished edit can never become
    public by a round trip; the notes say when such an edit was left out.
    """
    revision, notes = _exported_revision(article)
    meta: dict = {"title": revision.title, "slug": article.slug}
    if revision.summary:
        meta["summary"] = revision.summary
    # Published past its embargo end is, by the rule, as withdrawn: the worker is due to say so.
    status = article.status
    if status == Status.PUBLISHED and not access.is_public(article):
        status = Status.WITHDRAWN.value
    meta["status"] = status
    meta["classification"] = article.classification
    if status == Status.SCHEDULED and article.publish_at is not None:
        meta["publish_at"] = article.publish_at.isoformat()
    if article.unpublish_at and status in (Status.SCHEDULED, Status.PUBLISHED):
        meta["unpublish_at"] = article.unpublish_at.isoformat()
    if article.author is not None:
        meta["author"] = article.author.get_username()
    tags = [tag.name for tag in revision.tags.all()]
    if tags:
        meta["tags"] = tags
    exported = _export_assets(article, revision, directory)
    if exported:
        meta["assets"] = exported
    grants = _export_grants(article)
    if grants:
        meta["grants"] = grants
    path = directory / f"{article.slug}.md"
    path.write_text(frontmatter.dumps(frontmatter.Post(revision.body, **meta)) + "\n", "utf-8")
    return path, notes


def articles_to_export(status: str | None = None):
    """Every article (or those in ``status``) with what ``export_article`` reads, by slug."""
    articles = Article.objects.select_related("author", "live_revision", "latest_revision")
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("slug")
