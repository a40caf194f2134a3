"""Reading articles from files: Markdown with YAML front matter, checked field by field.

One ``.md`` file per article::

    ---
    title: "The Mythos leak"
    slug: the-mythos-leak
    summary: "…"
    status: published            # draft | in_review | scheduled | published | withdrawn;
                                 # left out: a new article is a draft, an existing one keeps its state
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

Everything here only reads and checks; ``apply`` writes, through the services.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import frontmatter
import yaml
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles import access
from articles.models import Status
from articles.transfer.handling import parse_classification

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


def fail(path: Path, field_name: str, message: str) -> ImportFailure:
    return ImportFailure(path, field_name, message)


def _when(path: Path, name: str, value) -> datetime | None:
    if value is None or value == "":
        return None
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        raise fail(path, name, f"{value} is a date; give a time with a zone, e.g. {value}T09:00Z.")
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise fail(
                path, name, f"“{value}” is not an ISO 8601 time (e.g. 2026-12-01T09:00+00:00)."
            )
    if timezone.is_naive(parsed):
        raise fail(path, name, f"“{value}” has no time zone; add one, e.g. +00:00 or Z.")
    return parsed


def _text(path: Path, meta: dict, name: str, *, required: bool = False) -> str:
    value = meta.get(name)
    if value is None:
        if required:
            raise fail(path, name, "is missing.")
        return ""
    if not isinstance(value, str | int | float):
        raise fail(path, name, "must be text.")
    return str(value)


def _list(path: Path, meta: dict, name: str) -> list:
    value = meta.get(name) or []
    if not isinstance(value, list):
        raise fail(path, name, "must be a list.")
    return value


def _grants(path: Path, meta: dict) -> list[Grant]:
    grants = []
    for entry in _list(path, meta, "grants"):
        if not isinstance(entry, dict) or set(entry) - {"user", "group", "perm"}:
            raise fail(path, "grants", f"{entry!r} must look like {{group: NAME, perm: view}}.")
        perm = str(entry.get("perm", ""))
        if perm not in access.PERMISSIONS:
            raise fail(
                path,
                "grants",
                f"“{perm}” is not a permission; use one of: {', '.join(access.PERMISSIONS)}.",
            )
        if ("user" in entry) == ("group" in entry):
            raise fail(path, "grants", f"{entry!r} must name exactly one user or one group.")
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
            raise fail(path, "assets", f"“{name}” is outside the directory of {path.name}.")
        if not candidate.is_file():
            raise fail(path, "assets", f"“{name}” does not exist (looked for {candidate}).")
        paths.append(candidate)
    return paths


def parse_article_file(path: Path) -> ArticleFile:
    """Read and check one ``.md`` file; raise ImportFailure naming the field at fault."""
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is not part of the front matter.
        post = frontmatter.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise fail(path, "file", f"cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise fail(path, "front matter", f"is not valid YAML: {error}") from None
    meta = post.metadata
    unknown = sorted(set(meta) - set(FIELDS))
    if unknown:
        raise fail(path, unknown[0], f"is not a known field; use: {', '.join(FIELDS)}.")
    # No status: a new article is a draft, an existing one keeps its state (and its live revision).
    status = _text(path, meta, "status") or None
    if status is not None and status not in IMPORTABLE_STATUSES:
        raise fail(
            path, "status", f"“{status}” is not a status; use one of: {', '.join(Status.values)}."
        )
    publish_at = _when(path, "publish_at", meta.get("publish_at"))
    unpublish_at = _when(path, "unpublish_at", meta.get("unpublish_at"))
    if status == Status.SCHEDULED and publish_at is None:
        raise fail(path, "publish_at", "is required for a scheduled article.")
    if status != Status.SCHEDULED and publish_at is not None:
        raise fail(path, "publish_at", "is only used with status: scheduled.")
    if unpublish_at is not None and status not in (Status.SCHEDULED, Status.PUBLISHED):
        raise fail(path, "unpublish_at", "is only used with status: scheduled or published.")
    return ArticleFile(
        path=path,
        title=_text(path, meta, "title", required=True),
        slug=_text(path, meta, "slug", required=True),
        summary=_text(path, meta, "summary"),
        status=status,
        body=post.content,
        classification=parse_classification(path, meta, fail),
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
