"""Importing parsed article files through the services, one transaction per file.

A file is checked whole before anything is written (``parse``), then created or updated, moved
through the workflow to its status and given its grants inside one transaction with its audit
events: a failure leaves no article, no revision, no grant and no stored file behind.
"""

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Classification, Status
from articles.transfer.handling import apply_classification, check_classification
from articles.transfer.lookups import group_named, user_named
from articles.transfer.parse import ArticleFile, ImportFailure, fail
from articles.validation import clean_original_name, inspect_upload


@dataclass(frozen=True)
class Imported:
    path: Path
    slug: str
    created: bool
    status: str
    classification: str = Classification.STANDARD
    # Each newly stored asset that had metadata stripped: its name and what was removed.
    stripped: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The article was published and this import took it off the site (--allow-withdraw).
    withdrew: bool = False


def _path_to(start: str, target: str) -> list[str]:
    """The shortest sequence of workflow transitions from ``start`` to ``target``."""
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        state, actions = queue.popleft()
        if state == target:
            return actions
        for action, step in publishing.TRANSITIONS.items():
            if state in step.sources and step.target not in seen:
                seen.add(step.target)
                queue.append((step.target, [*actions, action]))
    raise ValueError(f"No workflow path from {start} to {target}.")


def _transitions(article: Article, item: ArticleFile) -> list[str]:
    if item.status is None:
        return []
    if item.status == Status.PUBLISHED:
        # Publish even when already published: the imported text is the new live revision.
        return [*_path_to(article.status, Status.PUBLISHED)[:-1], "publish"]
    if item.status == Status.WITHDRAWN:
        return _path_to(article.status, Status.WITHDRAWN) if article.status != item.status else []
    if item.status == Status.SCHEDULED and article.status == Status.SCHEDULED:
        same = (article.publish_at, article.unpublish_at) == (item.publish_at, item.unpublish_at)
        # The schedule pins a revision: the imported text is published only if it is the pinned one.
        pinned = article.scheduled_revision_id == article.latest_revision_id
        return [] if same and pinned else ["return_to_draft", "schedule"]
    return _path_to(article.status, item.status)


def _apply_transitions(article: Article, item: ArticleFile) -> None:
    for action in _transitions(article, item):
        try:
            if action == "publish":
                publishing.article_publish(
                    actor=SYSTEM, article=article, unpublish_at=item.unpublish_at
                )
            elif action == "schedule" and item.publish_at is not None:
                publishing.article_schedule(
                    actor=SYSTEM,
                    article=article,
                    publish_at=item.publish_at,
                    unpublish_at=item.unpublish_at,
                )
            else:
                getattr(publishing, f"article_{action}")(actor=SYSTEM, article=article)
        except ValidationError as error:
            field_name = "publish_at" if action == "schedule" else "status"
            raise _validation_failure(item.path, error, field_name) from None


def _validation_failure(path: Path, error: ValidationError, default_field: str) -> ImportFailure:
    if hasattr(error, "error_dict"):
        name, errors = next(iter(error.message_dict.items()))
        name = default_field if name == "__all__" else name
        return fail(path, name, " ".join(errors))
    return fail(path, default_field, publishing.refusal_message(error))


def _open_assets(item: ArticleFile) -> list[tuple[str, File]]:
    return [(source.name, File(source.open("rb"), name=str(source))) for source in item.assets]


def _stored_sha256(name: str, upload: File) -> str | None:
    """The sha256 ``upload`` would be stored with (metadata stripped); None if it would be refused."""
    try:
        return inspect_upload(upload, name).sha256
    except ValidationError:
        return None  # the service refuses it with the reason, under "assets"


def _create_or_update(
    item: ArticleFile, article: Article | None, files: list[tuple[str, File]]
) -> tuple[Article, bool, list[Asset]]:
    """The article, whether it was created, and the assets stored for it by this import."""
    author = user_named(item.path, "author", item.author) if item.author else None
    if article is None:
        article = publishing.article_create(
            actor=SYSTEM,
            author=author,
            slug=item.slug,
            title=item.title,
            summary=item.summary,
            body=item.body,
            tags=item.tags,
            files=files,
        )
        return article, True, list(article.working_draft.assets.all()) if files else []
    # A file whose name and (stripped) bytes are unchanged is kept, not stored a second time.
    # An upload the service will refuse has no digest (None), so it matches no stored file.
    current: dict[tuple[str, str | None], Asset] = {
        (a.original_name, a.sha256): a for a in article.working_draft.assets.all()
    }
    keep, new = [], []
    for name, upload in files:
        existing = current.get((clean_original_name(name), _stored_sha256(name, upload)))
        if existing is not None:
            keep.append(existing)
        else:
            new.append((name, upload))
    revision = publishing.article_update(
        actor=SYSTEM,
        article=article,
        title=item.title,
        summary=item.summary,
        body=item.body,
        tags=item.tags,
        files=new,
        keep_assets=keep,
    )
    return article, False, list(revision.assets.exclude(pk__in=[a.pk for a in keep]))


def _takes_down(item: ArticleFile, existing: Article | None) -> bool:
    """Would importing ``item`` take a published article off the site without saying so?

    ``status: withdrawn`` says so; any other status but ``published`` over a published article
    (``draft``, ``in_review``, ``scheduled``) withdraws it as a side effect.
    """
    return (
        existing is not None
        and existing.status == Status.PUBLISHED
        and item.status is not None
        and item.status not in (Status.PUBLISHED, Status.WITHDRAWN)
    )


def _save(item: ArticleFile, *, allow_withdraw: bool = False) -> Imported:
    """Create or update one article from ``item`` (inside the caller's transaction)."""
    existing = Article.objects.select_related("latest_revision").filter(slug=item.slug).first()
    withdrew = _takes_down(item, existing)
    if withdrew and not allow_withdraw:
        raise fail(
            item.path,
            "status",
            f"“{item.status}” would withdraw the published article “{item.slug}”; "
            "pass --allow-withdraw to do that.",
        )
    check_classification(item, existing, fail)
    files = _open_assets(item)
    try:
        article, created, stored = _create_or_update(item, existing, files)
    except ValidationError as error:
        raise _validation_failure(item.path, error, "body") from None
    finally:
        for _name, upload in files:
            upload.close()
    # No reload needed: create returns the article as stored, update refreshes what it changed,
    # and each transition reloads it after its locked write; grants change no article field.
    apply_classification(article, item)
    _apply_transitions(article, item)
    for grant in item.grants:
        target = (
            {"user": user_named(item.path, "grants", grant.user)}
            if grant.user
            else {"group": group_named(item.path, grant.group or "")}
        )
        try:
            publishing.access_grant(actor=SYSTEM, article=article, perm=grant.perm, **target)
        except ValidationError as error:
            raise _validation_failure(item.path, error, "grants") from None
    return Imported(
        path=item.path,
        slug=article.slug,
        created=created,
        status=article.status,
        classification=article.classification,
        stripped=tuple(
            (asset.original_name, tuple(asset.removed_metadata))
            for asset in stored
            if asset.removed_metadata
        ),
        withdrew=withdrew,
    )


class _DryRun(Exception):
    """Raised to roll back a dry run after everything was checked; carries what it would do."""

    def __init__(self, result: Imported):
        super().__init__()
        self.result = result


def import_article(
    item: ArticleFile, *, dry_run: bool = False, allow_withdraw: bool = False
) -> Imported:
    """Import one parsed file in its own transaction; a failure leaves no article and no files."""
    try:
        with publishing.discard_files_on_failure(), transaction.atomic():
            result = _save(item, allow_withdraw=allow_withdraw)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as dry_run_result:
        result = dry_run_result.result
    except storage_errors() as error:
        # The store failing is this file's failure: the batch goes on with the next one.
        raise ImportFailure(item.path, "assets", f"the asset storage failed: {error}") from error
    return result


def storage_errors() -> tuple[type[Exception], ...]:
    """What a failing local disk or object store raises."""
    errors: list[type[Exception]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)
