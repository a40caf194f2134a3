"""Revisions: every edit, upload or revert makes a new working revision; none is edited afterwards.

Readers of a published article keep seeing its live revision until a publisher publishes a newer
one (``workflow``). Saves are optimistically locked on the article's version (``EditConflict``).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from articles import featured
from articles.access.policy import Actor, person, require_permission
from articles.models import Article, Asset, AuditEvent, Revision
from articles.publishing.audit import audit_record
from articles.publishing.files import _store_files, discard_files_on_failure
from articles.publishing.rendering import render_markdown
from articles.publishing.tags import tags_from_names


class EditConflict(ValidationError):
    """The article changed since the editor's form was loaded."""


def _tag_names(revision: Revision | None) -> list[str]:
    return [tag.name for tag in revision.tags.all()] if revision is not None else []


def _newest_per_name(assets: Iterable[Asset]) -> list[Asset]:
    """One asset per original name, the newest upload winning (re-uploading replaces a file)."""
    by_name: dict[str, Asset] = {}
    for asset in sorted(assets, key=lambda a: (a.created_at, a.pk)):
        by_name[asset.original_name] = asset
    return list(by_name.values())


@dataclass(frozen=True)
class RevisionContent:
    """What a new revision says: its words, tags and files, the featured image, why it was made."""

    title: str
    summary: str
    body: str
    tags: Sequence[str]
    assets: Sequence[Asset] = ()
    featured_image: Asset | None = None
    # Chosen for this save (it must be among the files) rather than carried forward (it may lapse).
    featured_explicit: bool = False
    note: str = ""

    @classmethod
    def copied_from(cls, source: Revision, *, assets: Sequence[Asset]) -> "RevisionContent":
        """``source``'s words, tags and featured image, with ``assets``."""
        return cls(
            title=source.title,
            summary=source.summary,
            body=source.body,
            tags=_tag_names(source),
            assets=assets,
            featured_image=source.featured_image,
        )


def _create_revision(
    *, article: Article, actor: Actor, content: RevisionContent, first: bool = False
) -> Revision:
    """A new revision of ``article`` saying ``content``, made its working draft.

    ``first``: the article was created in this transaction and has no revision yet; its creation
    stores the working draft with the slug, in one write (``creation._claim_slug``).
    """
    number = 1 if first else (article.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision, assets = _checked_revision(article, actor, content, number)
    revision.save()
    # A new revision has no rows to compare with: add() inserts without set()'s read of them.
    revision.tags.add(*tags_from_names(content.tags, actor=actor))
    if assets:
        revision.assets.add(*assets)
    article.latest_revision = revision
    if not first:
        article.save(update_fields=["latest_revision"])
    return revision


def _checked_revision(
    article: Article, actor: Actor, content: RevisionContent, number: int
) -> tuple[Revision, list[Asset]]:
    """Revision ``number`` of ``article`` saying ``content``, rendered and checked but unsaved, and
    the assets it carries; nothing is read or written."""
    assets = _newest_per_name(content.assets)
    foreign = [asset for asset in assets if asset.article_id != article.pk]
    if foreign:
        raise ValidationError(
            {"assets": f"“{foreign[0].original_name}” belongs to another article."}
        )
    rendered = render_markdown(content.body, assets=assets)
    revision = Revision(
        article=article,
        number=number,
        title=content.title.strip(),
        summary=content.summary.strip(),
        body=content.body,
        body_html=rendered.html,
        body_text=rendered.text,
        reading_minutes=rendered.reading_minutes,
        created_by=person(actor),
        featured_image=featured.choose(
            content.featured_image, assets, explicit=content.featured_explicit
        ),
        note=content.note.strip(),
    )
    revision.full_clean(exclude=["article", "created_by", "featured_image"])
    return revision, assets


def _claim_version(article: Article, expected_version: int | None) -> None:
    """Bump the version, refusing if someone saved since ``expected_version`` was read."""
    rows = Article.objects.filter(pk=article.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1, updated_at=timezone.now()):
        raise EditConflict(
            f"“{article.slug}” was changed by someone else after you opened it, so your save was "
            "refused to keep their edit. Your text is still in the form: copy it, reload the page "
            "to see the current version, and apply your changes again.",
            code="edit_conflict",
        )
    # The UPDATE holds the row until commit: build on the draft stored now, never on the caller's
    # possibly stale copy, or a save without an expected version would drop someone else's edit.
    article.refresh_from_db(fields=["version", "updated_at", "latest_revision"])


def _featured_for_update(latest: Revision | None, featured_image) -> tuple[Asset | None, bool]:
    """An edit's featured image, and whether it was chosen now (KEEP: the draft's, carried)."""
    if featured_image is featured.KEEP:
        return (latest.featured_image if latest else None), False
    return featured_image, True


def article_update(
    *,
    actor: Actor,
    article: Article,
    title: str,
    summary: str = "",
    body: str = "",
    tags: Sequence[str] | None = None,
    files: Iterable[tuple[str, object]] = (),
    keep_assets: Iterable[Asset] | None = None,
    featured_image=featured.KEEP,
    expected_version: int | None = None,
    note: str = "",
) -> Revision:
    """Save a new working revision. Readers of a published article still see its live revision.

    ``tags``, ``keep_assets``: None keeps the working draft's. ``featured_image``: one of the
    draft's image assets, None for none, or (by default) the working draft's choice carried
    forward. ``note``: why, shown in the list of revisions.
    """
    require_permission(actor, "change_article", article, "edit")
    with discard_files_on_failure(), transaction.atomic():
        _claim_version(article, expected_version)
        latest = article.latest_revision
        kept = (latest.assets.all() if latest else []) if keep_assets is None else keep_assets
        tags = _tag_names(latest) if tags is None else tags
        new_assets = _store_files(article=article, actor=actor, files=files)
        chosen, explicit = _featured_for_update(latest, featured_image)
        content = RevisionContent(
            title=title,
            summary=summary,
            body=body,
            tags=tags,
            assets=[*kept, *new_assets],
            featured_image=chosen,
            featured_explicit=explicit,
            note=note,
        )
        revision = _create_revision(article=article, actor=actor, content=content)
        audit_record(
            action=AuditEvent.Action.EDIT,
            actor=actor,
            article=article,
            detail={"revision": revision.number},
        )
    return revision


def asset_attach(*, actor: Actor, article: Article, name: str, content) -> Asset:
    """Attach one file to the working draft (a new revision); it stays private until published."""
    require_permission(actor, "change_article", article, "attach files to")
    with discard_files_on_failure(), transaction.atomic():
        _claim_version(article, None)
        (asset,) = _store_files(article=article, actor=actor, files=[(name, content)])
        latest = article.latest_revision
        if latest is None:
            raise ValidationError(f"“{article.slug}” has no draft to attach files to.")
        with_file = RevisionContent.copied_from(latest, assets=[*latest.assets.all(), asset])
        _create_revision(article=article, actor=actor, content=with_file)
        audit_record(
            action=AuditEvent.Action.ASSET_ATTACH,
            actor=actor,
            article=article,
            asset=asset,
            detail={
                "name": asset.original_name,
                "sha256": asset.sha256,
                **({"removed_metadata": asset.removed_metadata} if asset.removed_metadata else {}),
            },
        )
    return asset


def article_revert(
    *, actor: Actor, article: Article, revision: Revision, expected_version: int | None = None
) -> Revision:
    """Make an old revision's content the working draft again, as a new revision."""
    if revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    require_permission(actor, "change_article", article, "revert")
    with transaction.atomic():
        _claim_version(article, expected_version)
        copy = RevisionContent.copied_from(revision, assets=list(revision.assets.all()))
        new = _create_revision(article=article, actor=actor, content=copy)
        audit_record(
            action=AuditEvent.Action.REVERT,
            actor=actor,
            article=article,
            detail={"from_revision": revision.number, "revision": new.number},
        )
    return new
