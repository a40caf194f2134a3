"""What a test in a real browser needs: Debian's Chromium and the playwright package."""

import importlib.util

import pytest

from tools.demo_site import CHROMIUM

NEEDS_CHROMIUM = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="the playwright package is not installed (pip install -e '.[test]')",
    ),
]
