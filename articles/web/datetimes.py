"""Date-times for machines to read in pages: UTC to the whole second, e.g. ``2026-11-28T12:00:57Z``.

HTML's ``<time datetime>`` allows at most three digits of a second's fraction, while Python's
``isoformat()`` and Django's ``|date:"c"`` write six. One form serves the ``<time>`` elements,
OpenGraph and JSON-LD alike, so a page states its dates once, identically, and validly.
"""

from datetime import UTC, datetime

MACHINE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def machine_datetime(moment: datetime) -> str:
    """``moment`` (timezone-aware) as a valid HTML global date-and-time string, in UTC."""
    return moment.astimezone(UTC).strftime(MACHINE_FORMAT)
