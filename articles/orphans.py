"""Stored asset files that no asset row refers to (``manage.py gc_assets``).

A change that fails after storing a file deletes it again; if the store could not delete either
(it was down), the file stays behind with no row. Such orphans are private (the store has no public
URL) but take space and hold content someone meant to discard.
"""

from collections.abc import Iterator

from articles.models import Asset, MarkedCopy, Rendition
from articles.storage import asset_storage
from articles.web.health import STORAGE_SENTINEL

# Files in the asset storage that are not assets.
NOT_ASSETS = frozenset({STORAGE_SENTINEL})


def _walk(storage, directory: str = "") -> Iterator[str]:
    directories, files = storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for sub in directories:
        yield from _walk(storage, f"{directory}/{sub}" if directory else sub)


def _referenced(assets, renditions, copies) -> set[str]:
    """The stored names these rows refer to: an asset's file, a rendition or a marked copy of one."""
    return {
        *assets.values_list("file", flat=True),
        *renditions.values_list("file", flat=True),
        *copies.values_list("file", flat=True),
    }


def orphaned_files() -> list[str]:
    """Every stored name no asset, rendition or marked copy refers to, and not one of Embargo's own."""
    referenced = _referenced(Asset.objects.all(), Rendition.objects.all(), MarkedCopy.objects.all())
    return sorted(
        name for name in _walk(asset_storage()) if name not in referenced and name not in NOT_ASSETS
    )


def delete_orphans(names: list[str]) -> int:
    """Delete ``names`` that are still orphans (an upload may have claimed one since)."""
    referenced = _referenced(
        Asset.objects.filter(file__in=names),
        Rendition.objects.filter(file__in=names),
        MarkedCopy.objects.filter(file__in=names),
    )
    storage = asset_storage()
    deleted = 0
    for name in names:
        if name not in referenced:
            storage.delete(name)
            deleted += 1
    return deleted
