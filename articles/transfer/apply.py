"""Articles as files: Markdown with YAML front matter, and the attachments next to it.

One ``.md`` file per article::

    ---
    title: "The Mythos leak"
    slug: the-mythos-leak
    summary: "…"
    status: published            # draft | in_review | scheduled | published | withdrawn;
                                 # left out: a new article is a draft, an existing one keeps its state
    classification: confidential # standard | confidential | restricted (see transfer/handling.py)
    publish_at: 2026-12-01T09:00:00+00:00   # scheduled only
    unpublish_at: 2027-01-01T09:00:00+00:00 # scheduled or published: the embargo end
    author: editor               # a username (applied when the article is created)
    tags: [security, cms]
    assets: [the-mythos-leak/timeline.png]  # paths relative to the .md file
    grants:
      - {group: Early access, perm: view}
      - {user: early-reader, perm: view}
    ---
    Markdown that refers to attachments by file name: ![Timeline](timeline.png)

Importing goes through the services only, one transaction per file; exporting writes the same format.
"""

import shutil
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import frontmatter
import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles import access, publishing
from articles.access import SYSTEM
from articles.models import (
    Article,
    ArticleGroupObjectPermission,
    ArticleUserObjectPermission,
    Asset,
    Classification,
    Revision,
    Status,
)
from articles.transfer.handling import (
    apply_classification,
    check_classification,
    parse_classification,
)
from articles.validation import clean_original_name, inspect_upload

FIELDS = (
    "title",
    "slug",
    "summary",
    "status",
    "classification",
    "publish_at",
    "unpublish_at",
    "author",
    "tags",
    "assets",
    "grants",
)
IMPORTABLE_STATUSES = tuple(Status.values)
SHORT_PERMS = {codename: short for short, codename in access.PERMISSIONS.items()}


class ImportFailure(Exception):
    """One file could not be imported; ``field`` names the front-matter key at fault."""

    def __init__(self, path: Path, field: str, message: str):
        super().__init__(f"{path}: {field}: {message}")
        self.path = path
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Grant:
    perm: str
    user: str | None = None
    group: str | None = None


@dataclass
class ArticleFile:
    """The parsed, checked content of one ``.md`` file."""

    path: Path
    title: str
    slug: str
    summary: str
    status: str | None
    body: str
    classification: str | None = None
    publish_at: datetime | None = None
    unpublish_at: datetime | None = None
    author: str | None = None
    tags: list[str] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)


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


def _fail(path: Path, field_name: str, message: str) -> ImportFailure:
    return ImportFailure(path, field_name, message)


def _when(path: Path, name: str, value) -> datetime | None:
    if value is None or value == "":
        return None
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        raise _fail(path, name, f"{value} is a date; give a time with a zone, e.g. {value}T09:00Z.")
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise _fail(
                path, name, f"“{value}” is not an ISO 8601 time (e.g. 2026-12-01T09:00+00:00)."
            )
    if timezone.is_naive(parsed):
        raise _fail(path, name, f"“{value}” has no time zone; add one, e.g. +00:00 or Z.")
    return parsed


def _text(path: Path, meta: dict, name: str, *, required: bool = False) -> str:
    value = meta.get(name)
    if value is None:
        if required:
            raise _fail(path, name, "is missing.")
        return ""
    if not isinstance(value, str | int | float):
        raise _fail(path, name, "must be text.")
    return str(value)


def _list(path: Path, meta: dict, name: str) -> list:
    value = meta.get(name) or []
    if not isinstance(value, list):
        raise _fail(path, name, "must be a list.")
    return value


def _grants(path: Path, meta: dict) -> list[Grant]:
    grants = []
    for entry in _list(path, meta, "grants"):
        if not isinstance(entry, dict) or set(entry) - {"user", "group", "perm"}:
            raise _fail(path, "grants", f"{entry!r} must look like {{group: NAME, perm: view}}.")
        perm = str(entry.get("perm", ""))
        if perm not in access.PERMISSIONS:
            raise _fail(
                path,
                "grants",
                f"“{perm}” is not a permission; use one of: {', '.join(access.PERMISSIONS)}.",
            )
        if ("user" in entry) == ("group" in entry):
            raise _fail(path, "grants", f"{entry!r} must name exactly one user or one group.")
        grants.append(
            Grant(
                perm=perm,
                user=str(entry["user"]) if "user" in entry else None,
                group=str(entry["group"]) if "group" in entry else None,
            )
        )
    return grants


def _asset_paths(path: Path, meta: dict) -> list[Path]:
    base = path.parent.resolve()
    paths = []
    for name in _list(path, meta, "assets"):
        candidate = (base / str(name)).resolve()
        if not candidate.is_relative_to(base):
            raise _fail(path, "assets", f"“{name}” is outside the directory of {path.name}.")
        if not candidate.is_file():
            raise _fail(path, "assets", f"“{name}” does not exist (looked for {candidate}).")
        paths.append(candidate)
    return paths


def parse_article_file(path: Path) -> ArticleFile:
    """Read and check one ``.md`` file; raise ImportFailure naming the field at fault."""
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is not part of the front matter.
        post = frontmatter.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(path, "file", f"cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise _fail(path, "front matter", f"is not valid YAML: {error}") from None
    meta = post.metadata
    unknown = sorted(set(meta) - set(FIELDS))
    if unknown:
        raise _fail(path, unknown[0], f"is not a known field; use: {', '.join(FIELDS)}.")
    # No status: a new article is a draft, an existing one keeps its state (and its live revision).
    status = _text(path, meta, "status") or None
    if status is not None and status not in IMPORTABLE_STATUSES:
        raise _fail(
            path, "status", f"“{status}” is not a status; use one of: {', '.join(Status.values)}."
        )
    publish_at = _when(path, "publish_at", meta.get("publish_at"))
    unpublish_at = _when(path, "unpublish_at", meta.get("unpublish_at"))
    if status == Status.SCHEDULED and publish_at is None:
        raise _fail(path, "publish_at", "is required for a scheduled article.")
    if status != Status.SCHEDULED and publish_at is not None:
        raise _fail(path, "publish_at", "is only used with status: scheduled.")
    if unpublish_at is not None and status not in (Status.SCHEDULED, Status.PUBLISHED):
        raise _fail(path, "unpublish_at", "is only used with status: scheduled or published.")
    return ArticleFile(
        path=path,
        title=_text(path, meta, "title", required=True),
        slug=_text(path, meta, "slug", required=True),
        summary=_text(path, meta, "summary"),
        status=status,
        body=post.content,
        classification=parse_classification(path, meta, _fail),
        publish_at=publish_at,
        unpublish_at=unpublish_at,
        author=_text(path, meta, "author") or None,
        tags=[str(tag) for tag in _list(path, meta, "tags")],
        assets=_asset_paths(path, meta),
        grants=_grants(path, meta),
    )


def duplicate_slugs(files: list[ArticleFile]) -> dict[Path, str]:
    """Files that share a slug with another file of the same import, each with a message."""
    counts = Counter(item.slug for item in files)
    return {
        item.path: "“{}” is also the slug of {}.".format(
            item.slug,
            ", ".join(o.path.name for o in files if o.slug == item.slug and o is not item),
        )
        for item in files
        if counts[item.slug] > 1
    }


def _draft_assets(article: Article) -> list[Asset]:
    return list(article.latest_revision.assets.all()) if article.latest_revision else []


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


def _user(path: Path, field_name: str, username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise _fail(path, field_name, f"there is no user “{username}”.")
    return user


def _group(path: Path, name: str) -> Group:
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise _fail(path, "grants", f"there is no group “{name}”.")
    return group


def _validation_failure(path: Path, error: ValidationError, default_field: str) -> ImportFailure:
    if hasattr(error, "error_dict"):
        name, errors = next(iter(error.message_dict.items()))
        name = default_field if name == "__all__" else name
        return _fail(path, name, " ".join(errors))
    return _fail(path, default_field, publishing.refusal_message(error))


def _open_assets(item: ArticleFile) -> list[tuple[str, File]]:
    return [(source.name, File(source.open("rb"), name=str(source))) for source in item.assets]


def _stored_sha256(name: str, upload: File) -> str | None:
    """The sha256 ``upload`` would be stored with (metadata stripped); None if it would be refused."""
    try:
        return inspect_upload(upload, name).sha256
    except ValidationError:
        return None  # the service refuses it with the reason, under "assets"


def _create_or_update(
    item: ArticleFile, files: list[tuple[str, File]]
) -> tuple[Article, bool, list[Asset]]:
    """The article, whether it was created, and the assets stored for it by this import."""
    article = Article.objects.select_related("latest_revision").filter(slug=item.slug).first()
    author = _user(item.path, "author", item.author) if item.author else None
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
        return article, True, _draft_assets(article)
    # A file whose name and (stripped) bytes are unchanged is kept, not stored a second time.
    current: dict[tuple[str, str | None], Asset] = {
        (a.original_name, a.sha256): a for a in _draft_assets(article)
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


def _takes_down(item: ArticleFile) -> bool:
    """Would importing ``item`` take a published article off the site without saying so?

    ``status: withdrawn`` says so; any other status but ``published`` over a published article
    (``draft``, ``in_review``, ``scheduled``) withdraws it as a side effect.
    """
    existing = Article.objects.filter(slug=item.slug).values_list("status", flat=True).first()
    return (
        existing == Status.PUBLISHED
        and item.status is not None
        and item.status not in (Status.PUBLISHED, Status.WITHDRAWN)
    )


def _save(item: ArticleFile, *, allow_withdraw: bool = False) -> Imported:
    """Create or update one article from ``item`` (inside the caller's transaction)."""
    withdrew = _takes_down(item)
    if withdrew and not allow_withdraw:
        raise _fail(
            item.path,
            "status",
            f"“{item.status}” would withdraw the published article “{item.slug}”; "
            "pass --allow-withdraw to do that.",
        )
    check_classification(item, _fail)
    files = _open_assets(item)
    try:
        article, created, stored = _create_or_update(item, files)
    except ValidationError as error:
        raise _validation_failure(item.path, error, "body") from None
    finally:
        for _name, upload in files:
            upload.close()
    article.refresh_from_db()
    apply_classification(article, item)
    _apply_transitions(article, item)
    for grant in item.grants:
        target = (
            {"user": _user(item.path, "grants", grant.user)}
            if grant.user
            else {"group": _group(item.path, grant.group or "")}
        )
        try:
            publishing.access_grant(actor=SYSTEM, article=article, perm=grant.perm, **target)
        except ValidationError as error:
            raise _validation_failure(item.path, error, "grants") from None
    article.refresh_from_db()
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
