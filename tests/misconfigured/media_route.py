"""Uploads given a URL of their own: ``static(MEDIA_URL, document_root=MEDIA_ROOT)`` in the urlconf.

``static()`` only adds its route while DEBUG is on, which is how such a route reaches production: a
debug setting left on.
"""

from cms.settings import *  # noqa: F403

DEBUG = True
MEDIA_URL = "/media/"
ROOT_URLCONF = "tests.misconfigured.urls_media"
