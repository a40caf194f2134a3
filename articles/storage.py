"""Where asset files live: private storage that has no URL of its own.

Nothing maps a URL onto this storage. Files are streamed by the asset view after the access check,
so a misconfigured web server, CDN or bucket policy has no public path to expose.
"""

import secrets

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateFileSystemStorage(FileSystemStorage):
    """Local storage for private files: asking it for a URL is a programming error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o640)
        kwargs.setdefault("directory_permissions_mode", 0o750)
        super().__init__(**kwargs)

    def url(self, name):
        raise ValueError(
            "Private asset storage has no public URL; link to Asset.get_absolute_url(), "
            "which goes through the access check."
        )


class _AssetStorage(LazyObject):
    """``STORAGES["assets"]``, looked up when first used and again whenever the setting changes.

    A FileField evaluates its storage once, at import; this indirection lets tests and the
    exposure audit point assets at another storage without re-importing the models.
    """

    def _setup(self):
        self._wrapped = storages["assets"]


private_assets = _AssetStorage()


@receiver(setting_changed)
def _reset_asset_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        private_assets._wrapped = empty


def asset_storage():
    """The configured private storage for assets (``STORAGES["assets"]``)."""
    return private_assets


def new_storage_key(instance, filename: str) -> str:
    """A random 128-bit storage key. The uploaded name never reaches the storage path."""
    key = secrets.token_hex(16)
    return f"{key[:2]}/{key}"
