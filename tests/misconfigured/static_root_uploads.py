"""The Mythos mistake itself: uploads saved inside the directory whitenoise serves to everyone.

``EMBARGO_MISCONFIGURED_ROOT`` says where (the tests use a temporary directory).
"""

import os
from pathlib import Path

from cms.settings import *  # noqa: F403
from cms.settings import STORAGES, VAR_DIR

STATIC_ROOT = (
    Path(os.environ.get("EMBARGO_MISCONFIGURED_ROOT", VAR_DIR / "misconfigured")) / "static"
)
ASSET_ROOT = STATIC_ROOT / "uploads"
MEDIA_ROOT = ASSET_ROOT
STORAGES = {
    **STORAGES,
    "assets": {
        "BACKEND": "articles.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": ASSET_ROOT},
    },
}
