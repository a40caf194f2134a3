"""Who and what the files of one import name (authors, grant holders, tags), each looked up once.

``import_run`` spans one ``import_articles``: the thousands of files it imports name the same few
people, groups and tags, which every file would otherwise look up again in its own queries.
"""

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from articles import publishing
from articles.transfer.parse import ArticleFile, fail

# (kind, name) -> the user or group it names, while an import runs; None outside one.
_found: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "embargo_import_lookups", default=None
)


@contextlib.contextmanager
def import_run(items: Sequence[ArticleFile]) -> Iterator[None]:
    """Remember, for the files of one import, the people, groups and tags they name."""
    token = _found.set({})
    try:
        with publishing.remembered_tags(name for item in items for name in item.tags):
            yield
    finally:
        _found.reset(token)


def _remembered(kind: str, name: str, look_up):
    found = _found.get()
    if found is None:
        return look_up()
    if (kind, name) not in found:
        # A miss is not remembered: the file fails, and a later one may name someone made since.
        value = look_up()
        if value is None:
            return None
        found[kind, name] = value
    return found[kind, name]


def user_named(path: Path, field_name: str, username: str):
    """The user called ``username``, or the file's failure naming ``field_name``."""
    user = _remembered(
        "user", username, lambda: get_user_model().objects.filter(username=username).first()
    )
    if user is None:
        raise fail(path, field_name, f"there is no user “{username}”.")
    return user


def group_named(path: Path, name: str) -> Group:
    """The group called ``name``, or the file's failure under ``grants``."""
    group = _remembered("group", name, lambda: Group.objects.filter(name=name).first())
    if group is None:
        raise fail(path, "grants", f"there is no group “{name}”.")
    return group
