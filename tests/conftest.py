"""Fixtures shared by every test module."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def asset_storage_in_tmp(tmp_path, settings):
    """Every test stores assets in its own temporary directory, never under var/."""
    location = tmp_path / "private-assets"
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {
            "BACKEND": "articles.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    settings.ASSET_ROOT = location
    return location


@pytest.fixture(autouse=True)
def empty_cache():
    """The page cache starts empty in every test, so one test's pages never answer another's."""
    cache.clear()
    yield
    cache.clear()
