"""Helpers the staff commands share: argument parsing that fails with the argument's name."""

import contextlib
import re
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from articles.models import Article

DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>[mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def article_named(slug: str) -> Article:
    """The article with ``slug``, or a CommandError naming it."""
    article = Article.objects.select_related("latest_revision").filter(slug=slug).first()
    if article is None:
        raise CommandError(f"SLUG: there is no article “{slug}”.")
    return article


def person_named(username: str):
    """The active user ``username`` (for ``--user NAME``), or a CommandError naming the option."""
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise CommandError(f"--user: there is no user “{username}”.")
    if not found.is_active:
        raise CommandError(f"--user: “{username}” is deactivated.")
    return found


def user_or_group(*, user: str | None, group: str | None) -> dict:
    """``{"user": …}`` or ``{"group": …}`` for the services, or a CommandError naming the option."""
    if (user is None) == (group is None):
        raise CommandError("Give exactly one of --user NAME or --group NAME.")
    if user is not None:
        found = get_user_model().objects.filter(username=user).first()
        if found is None:
            raise CommandError(f"--user: there is no user “{user}”.")
        return {"user": found}
    named = Group.objects.filter(name=group).first()
    if named is None:
        raise CommandError(f"--group: there is no group “{group}”.")
    return {"group": named}


def parse_when(value: str, option: str) -> datetime:
    """An aware datetime from ISO 8601 (a date alone means its midnight in the site's zone)."""
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(
            f"{option}: “{value}” is not an ISO 8601 date or time (e.g. 2026-12-01T09:00+00:00)."
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def parse_duration(value: str, option: str) -> timedelta:
    """A duration such as ``30m``, ``72h``, ``7d`` or ``2w``."""
    match = DURATION.match(value.strip())
    if match is None or int(match["amount"]) == 0:
        raise CommandError(
            f"{option}: “{value}” is not a duration; use a number and a unit, e.g. 30m, 72h, 7d, 2w."
        )
    try:
        return timedelta(**{UNITS[match["unit"]]: int(match["amount"])})
    except OverflowError:
        raise CommandError(f"{option}: “{value}” is too long a duration.") from None


def progress(iterable, *, stderr, total: int | None = None, desc: str = ""):
    """A tqdm bar on a terminal (on stderr, so stdout stays parseable); nothing otherwise."""
    stream = getattr(stderr, "_out", stderr)
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        file=stream,
        disable=not stderr.isatty(),
        leave=False,
    )


@contextlib.contextmanager
def refused_by_database(what: str, doing: str):
    """A database error inside becomes a CommandError: the change was rolled back, say so plainly."""
    try:
        yield
    except DatabaseError as error:
        # The first line is the database's own message; PostgreSQL adds CONTEXT lines after it.
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CommandError(
            f"{what}: the database refused to {doing} ({reason}), so nothing was changed. "
            "Fix the database and run the command again."
        ) from None
