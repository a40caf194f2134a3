"""Tests run in the 'test' environment: a generated secret key, no HTTPS-only cookies."""

import os

os.environ.setdefault("EMBARGO_ENVIRONMENT", "test")
