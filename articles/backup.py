"""Backups that lose nothing: ``manage.py backup DIR`` and ``manage.py restore DIR``.

A backup is a directory (``0700``) holding, all ``0600``:

- ``data.json``: every row that makes up the site, in Django's serialization format with natural
  keys for users, groups, permissions and content types (so it loads into any migrated database):
  role groups with their global permissions, users (no password hashes: restored accounts have
  unusable passwords and need a reset) with their memberships and global permissions, tags,
  articles (status, classification, ``published_at``, ``publish_at``, ``unpublish_at``, live and
  latest revision) with their two-person approvals,
  every revision (working drafts included) with its tags and files, asset rows, share links and
  their marks (so a leaked copy still traces after a restore), the audit trail, the recorded
  exposure audits with their findings, and per-object grants to users and groups;
- ``files/<storage key>``: every stored asset, as stored. Marked copies (``publishing.marks``) are
  left out, rows and files: each is one more copy of a private file, made again on request;
- ``manifest.json``: the SHA-256 and size of ``data.json`` and of every file.

``restore`` refuses a database that already has content, reads and verifies every hash before it
writes anything, and writes rows and files in one transaction: on any failure the rows roll back
and the files it wrote are deleted. Share-link tokens are signed with ``SECRET_KEY``: they keep
working after a restore with the same key, and stop working with another.
"""

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from guardian.conf import settings as guardian_settings
from guardian.models import GroupObjectPermission, UserObjectPermission

from articles.models import (
    ApiToken,
    Approval,
    Article,
    ArticleGroupObjectPermission,
    ArticleUserObjectPermission,
    Asset,
    AuditEvent,
    Autosave,
    ExposureFinding,
    ExposureRun,
    Mark,
    PreviewLink,
    Rendition,
    Revision,
    Tag,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from articles.storage import asset_storage

FORMAT = 1
# In dependency order; forward references (an article's live revision) are resolved by loaddata.
MODELS = (
    Group,
    User,
    Tag,
    Article,
    Revision,
    Asset,
    Rendition,
    PreviewLink,
    Approval,
    Mark,
    AuditEvent,
    Autosave,  # an editor's unsaved text: a restore loses nothing
    ExposureRun,
    ExposureFinding,
    ApiToken,  # hashed, like share links: a restored token works again
    WebhookEndpoint,
    WebhookDelivery,
    WebhookAttempt,
    ArticleUserObjectPermission,
    ArticleGroupObjectPermission,
    UserObjectPermission,
    GroupObjectPermission,
)
# Models whose rows make a database "not empty" (role groups come from the migrations).
CONTENT_MODELS = (
    User,
    Article,
    Tag,
    Revision,
    Asset,
    Rendition,
    PreviewLink,
    Approval,
    Mark,
    AuditEvent,
    ApiToken,
    WebhookEndpoint,
)


def stored_file_names() -> list[str]:
    """Every file the database refers to: each asset's original and its renditions."""
    originals = Asset.objects.order_by("pk").values_list("file", flat=True)
    renditions = Rendition.objects.order_by("pk").values_list("file", flat=True)
    return [*originals, *renditions]


class BackupError(Exception):
    """The backup cannot be written or restored; nothing was changed."""


@dataclass(frozen=True)
class Summary:
    rows: int
    files: int


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _private_dir(path: Path) -> None:
    """``path`` and any missing parent, each 0700 whatever the umask."""
    if path.is_dir():
        return
    _private_dir(path.parent)
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    _private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # whatever the umask


def serialized_rows() -> str:
    """Every row of the site as JSON, password hashes replaced by an unusable password."""
    objects = []
    for model in MODELS:
        objects.extend(
            serializers.serialize(
                "python",
                model._default_manager.order_by("pk"),
                use_natural_foreign_keys=True,
                use_natural_primary_keys=model in (Group, User),
            )
        )
    for row in objects:
        if row["model"] == "auth.user":
            row["fields"]["password"] = make_password(None)
    return json.dumps(objects, indent=1, sort_keys=True, cls=_ExactJSONEncoder)


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds: its JSON rounds them to milliseconds,
    so a restore would not give back the times it was given (and an audit trail's order could
    blur)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def backup(directory: Path) -> Summary:
    """Write a full backup to ``directory``, which must not exist or be empty."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"“{directory}” exists and is not an empty directory.")
    if not directory.parent.is_dir():
        raise BackupError(f"“{directory.parent}” does not exist.")
    directory.mkdir(mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    with transaction.atomic():  # one consistent snapshot (repeatable read on PostgreSQL)
        data = serialized_rows().encode()
        storage = asset_storage()
        files = {}
        for name in stored_file_names():
            with storage.open(name, "rb") as handle:
                content = handle.read()
            _write_private(directory / "files" / name, content)
            files[name] = {"sha256": _sha256(content), "size": len(content)}
    _write_private(directory / "data.json", data)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "data": {"sha256": _sha256(data), "size": len(data)},
        "files": files,
    }
    _write_private(directory / "manifest.json", json.dumps(manifest, indent=1).encode())
    return Summary(rows=len(json.loads(data)), files=len(files))


def _read_verified(directory: Path) -> tuple[bytes, dict[str, bytes]]:
    """``data.json`` and every file, each checked against the manifest; nothing written yet."""
    try:
        manifest = json.loads((directory / "manifest.json").read_bytes())
    except (OSError, ValueError) as error:
        raise BackupError(f"“{directory}” has no readable manifest.json: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"manifest.json has format {manifest.get('format')!r}, not {FORMAT}.")
    data = (directory / "data.json").read_bytes()
    if _sha256(data) != manifest["data"]["sha256"]:
        raise BackupError("data.json does not match its SHA-256 in manifest.json.")
    files = {}
    root = (directory / "files").resolve()
    for name, expected in manifest["files"].items():
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            raise BackupError(f"manifest.json names a file outside the backup: {name!r}")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise BackupError(f"file {name!r} is missing from the backup.") from error
        if _sha256(content) != expected["sha256"] or len(content) != expected["size"]:
            raise BackupError(f"file {name!r} does not match its SHA-256 in manifest.json.")
        files[name] = content
    return data, files


def database_is_empty() -> bool:
    """No content rows; the role groups and guardian's anonymous user come with ``migrate``."""
    users = User.objects.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
    others = (model for model in CONTENT_MODELS if model is not User)
    return not users.exists() and not any(model._default_manager.exists() for model in others)


def restore(directory: Path) -> Summary:
    """Load a backup into an empty, migrated database and its (empty) asset storage."""
    if not database_is_empty():
        raise BackupError(
            "the database already has content: restore only into a freshly migrated database."
        )
    data, files = _read_verified(directory)
    storage = asset_storage()
    written: list[str] = []
    try:
        with transaction.atomic():
            fixture = directory / "data.json"
            call_command("loaddata", str(fixture), format="json", verbosity=0)
            for name, content in files.items():
                if storage.exists(name):
                    raise BackupError(f"the asset storage already holds {name!r}.")
                saved = storage.save(name, ContentFile(content))
                written.append(saved)
                if saved != name:
                    raise BackupError(f"the storage saved {name!r} as {saved!r}.")
            _after_restore()
    except Exception:
        for name in written:
            storage.delete(name)
        raise
    return Summary(rows=len(json.loads(data)), files=len(files))


def _after_restore() -> None:
    """Schedules go back on the task queue, search documents are rebuilt; every cached page is
    forgotten."""
    from articles.publishing import search_index, tasks
    from articles.web.caching import purge_public_pages

    now = timezone.now()
    for publish_at, unpublish_at in Article.objects.values_list("publish_at", "unpublish_at"):
        for moment in (publish_at, unpublish_at):
            if moment is not None and moment > now:
                tasks.publish_due_at(moment)
    search_index.refresh()
    purge_public_pages()


def dump_for_comparison() -> list[dict]:
    """The same rows ``backup`` writes, for tests that compare two databases."""
    return json.loads(serialized_rows())
