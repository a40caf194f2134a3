"""Uploads: judged by content, stored under random keys, and removed again if the change fails.

``discard_files_on_failure`` wraps every write that stores files, so a change that is refused or
crashes leaves no file behind: nothing is half-written.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from articles import renditions
from articles.access.policy import Actor, person
from articles.models import Article, Asset
from articles.storage import asset_storage
from articles.validation import inspect_upload

_stored_files: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "embargo_stored_files", default=None
)


def delete_stored_files(names: Iterable[str], *, whose: str) -> None:
    """Delete ``names`` from the asset storage; a file that cannot go is logged, not raised.

    What is left is an orphan that ``manage.py gc_assets`` finds; ``whose`` says in the log
    which file it was ("a deleted draft's file").
    """
    storage = asset_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception as error:
            logging.getLogger("embargo.health").warning(
                f"could not delete {whose}; see manage.py gc_assets",
                extra={"component": "storage", "error": repr(error)},
            )


@contextlib.contextmanager
def discard_files_on_failure():
    """Delete every asset file stored inside this block if the block raises: nothing half-written."""
    if _stored_files.get() is not None:
        yield
        return
    token = _stored_files.set([])
    try:
        yield
    except BaseException:
        # The original error is what the caller must see; a store that cannot delete either (it
        # is down) leaves orphans, which are logged and which `manage.py gc_assets` finds.
        delete_stored_files(_stored_files.get(), whose="an asset file of a failed change")
        raise
    finally:
        _stored_files.reset(token)


def _store_files(
    *, article: Article, actor: Actor, files: Iterable[tuple[str, object]]
) -> list[Asset]:
    """Validate and store uploads as assets of ``article``. Names never become storage paths."""
    assets = []
    errors = []
    checked = []
    for name, content in files:
        try:
            checked.append(inspect_upload(content, name))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"assets": errors})
    stored = _stored_files.get()
    for facts in checked:
        asset = Asset(
            article=article,
            original_name=facts.original_name,
            content_type=facts.content_type,
            size=facts.size,
            sha256=facts.sha256,
            removed_metadata=list(facts.removed_metadata),
            uploaded_by=person(actor),
        )
        # The stripped content, never the upload as it came: that is what size and sha256 describe.
        asset.file.save(facts.original_name, ContentFile(facts.content), save=False)
        if stored is not None:
            stored.append(asset.file.name)
        asset.save()
        renditions.generate(asset, stored=stored)
        assets.append(asset)
    return assets
