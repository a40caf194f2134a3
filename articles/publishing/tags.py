"""A revision's tags from the names typed, one spelling per slug, and a run's memory of them.

Each spelling is kept as typed unless the actor can see an article that already spells it otherwise
(then that spelling, so visible tag pages stay tidy). ``remembered_tags`` lets a run of writes by
the site itself (an import of thousands of files) look each slug up once instead of once a file.
"""

import contextlib
import contextvars
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from articles.access.policy import Actor, is_system
from articles.models import TAG_NAME_MAX_LENGTH, Tag, validate_slug

TAG_MAX_LENGTH = TAG_NAME_MAX_LENGTH

# slug -> the spelling the site itself uses for it, for the run inside ``remembered_tags``.
_remembered: contextvars.ContextVar[dict[str, Tag] | None] = contextvars.ContextVar(
    "embargo_remembered_tags", default=None
)


@contextlib.contextmanager
def remembered_tags(names: Iterable[str] = ()) -> Iterator[None]:
    """Inside this block the site itself (``SYSTEM``) looks each tag slug up at most once.

    ``names``: the tags the run will use, looked up now in one query. Only the system actor's
    lookups are remembered: it sees every spelling, and the one chosen (the oldest of its slug)
    cannot change while the run adds rows. A person's answer changes as articles are published.
    """
    wanted = {slugify(str(name).strip()) for name in names} - {""}
    known: dict[str, Tag] = {}
    for tag in Tag.objects.filter(slug__in=wanted).order_by("-pk"):
        known[tag.slug] = tag  # the oldest spelling of a slug is the last one written
    token = _remembered.set(known)
    try:
        yield
    finally:
        _remembered.reset(token)


def _checked_slug(name: str) -> str:
    if len(name) > TAG_MAX_LENGTH:
        raise ValidationError(
            {"tags": f"“{name[:20]}…” is longer than {TAG_MAX_LENGTH} characters."}
        )
    slug = slugify(name)
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError({"tags": f"“{name}” cannot be used as a tag."}) from None
    return slug


def _looked_up(slug: str, name: str, actor: Actor) -> Tag:
    spellings = Tag.objects.filter(slug=slug)
    if not is_system(actor):
        spellings = spellings.visible_to(actor)
    tag = spellings.order_by("pk").first()
    if tag is None:
        # Same name, same row: a hidden article's tag spelt exactly as typed tells nothing new.
        tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": slug})
    return tag


def _tag_for(slug: str, name: str, actor: Actor) -> Tag:
    remembered = _remembered.get() if is_system(actor) else None
    if remembered is None:
        return _looked_up(slug, name, actor)
    if slug in remembered:
        return remembered[slug]
    tag = _looked_up(slug, name, actor)
    # Remembered once it is committed: a row made by a file that is rolled back does not exist.
    transaction.on_commit(lambda: remembered.setdefault(slug, tag))
    return tag


def check_tag_names(names: Iterable[str]) -> None:
    """Refuse, before anything is read or written, a name ``tags_from_names`` would refuse."""
    for name in names:
        name = str(name).strip()
        if name:
            _checked_slug(name)


def tags_from_names(names: Iterable[str], *, actor: Actor) -> list[Tag]:
    """The tags for a revision, one per slug, each spelt as typed unless ``actor`` can see an article
    that already spells it otherwise."""
    tags: dict[str, Tag] = {}
    for name in names:
        name = str(name).strip()
        if not name:
            continue
        slug = _checked_slug(name)
        if slug not in tags:
            tags[slug] = _tag_for(slug, name, actor)
    return list(tags.values())
