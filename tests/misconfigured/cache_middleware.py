"""Django's whole-site cache: stores responses by URL without knowing which are private."""

from cms.settings import *  # noqa: F403
from cms.settings import MIDDLEWARE

MIDDLEWARE = [
    "django.middleware.cache.UpdateCacheMiddleware",
    *MIDDLEWARE,
    "django.middleware.cache.FetchFromCacheMiddleware",
]
