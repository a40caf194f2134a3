"""What the admin's Exposure page shows, read through ``access`` for the person looking.

Everything listed is limited to the articles the reader may read unpublished
(``Article.objects.granted_to``): an auditor holds view on every article, anyone else sees no more
than their grants.

Share links and private files are grouped by when their exposure ends. ``GROUP_BY`` holds the key
functions, outermost first; each returns ``(rank, label)`` for an item, so grouping by another
property (the article's classification, say) is one more function in that tuple.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.access.auditing import StaleGrant, stale_grants
from articles.models import (
    Article,
    Asset,
    Classification,
    ExposureFinding,
    ExposureRun,
    PreviewLink,
    Status,
)

RUNS_CHARTED = 30
ITEMS_PER_GROUP = 50
UPCOMING = timedelta(days=7)


@dataclass(frozen=True)
class Exposed:
    """A share link or a private file, and until when it reaches anyone outside the grants."""

    article: Article
    until: datetime | None
    link: PreviewLink | None = None
    asset: Asset | None = None


def by_expiry(item: Exposed, now: datetime) -> tuple[int, str]:
    if item.until is None:
        return 4, "No end: reached by no share link"
    if item.until <= now:
        return 0, "Expired, not revoked"
    if item.until <= now + timedelta(hours=24):
        return 1, "Ends within 24 hours"
    if item.until <= now + timedelta(days=7):
        return 2, "Ends within 7 days"
    return 3, "Ends later"


# Restricted first: what needs two people to publish is what most needs watching.
CLASSIFICATION_RANK = {
    Classification.RESTRICTED: 0,
    Classification.CONFIDENTIAL: 1,
    Classification.STANDARD: 2,
}


def by_classification(item: Exposed, now: datetime) -> tuple[int, str]:
    level = Classification(item.article.classification)
    return CLASSIFICATION_RANK[level], level.label


GROUP_BY: tuple[Callable[[Exposed, datetime], tuple[int, str]], ...] = (
    by_expiry,
    by_classification,
)


@dataclass
class Group:
    heading: str
    count: int = 0
    items: list[Exposed] = field(default_factory=list)


def grouped(items: list[Exposed], now: datetime) -> list[Group]:
    """``items`` in groups by ``GROUP_BY``, in rank order; at most ITEMS_PER_GROUP listed in each."""
    groups: dict[tuple, Group] = {}
    for item in items:
        keys = tuple(key(item, now) for key in GROUP_BY)
        group = groups.setdefault(keys, Group(" · ".join(label for _rank, label in keys)))
        group.count += 1
        if len(group.items) < ITEMS_PER_GROUP:
            group.items.append(item)
    return [groups[keys] for keys in sorted(groups)]


def _readable(viewer):
    return Article.objects.granted_to(viewer)


def share_links(viewer, now: datetime) -> list[Exposed]:
    """Every share link not revoked, with whether it still works."""
    links = (
        PreviewLink.objects.with_state(now=now)
        .filter(revoked_at__isnull=True, article__in=_readable(viewer))
        .select_related("article", "created_by", "revision")
        .order_by("expires_at", "pk")
    )
    return [Exposed(article=link.article, until=link.expires_at, link=link) for link in links]


def private_assets(viewer, now: datetime) -> list[Exposed]:
    """Files that are not public, each until the last unrevoked share link that serves it ends."""
    serving = PreviewLink.objects.filter(
        article=OuterRef("article"), revoked_at__isnull=True, revision__assets=OuterRef("pk")
    ).order_by("-expires_at")
    assets = (
        Asset.objects.with_public_flag(now=now)
        .filter(is_public=False, article__in=_readable(viewer))
        .annotate(shared_until=Subquery(serving.values("expires_at")[:1]))
        .select_related("article")
        .order_by("article__slug", "original_name", "pk")
    )
    return [Exposed(article=a.article, until=a.shared_until, asset=a) for a in assets]


@dataclass(frozen=True)
class Upcoming:
    article: Article
    moment: datetime
    what: str  # "publishes" or "embargo ends"


def upcoming(viewer, now: datetime) -> list[Upcoming]:
    """Scheduled publications and embargo ends in the next 7 days, soonest first."""
    end = now + UPCOMING
    articles = _readable(viewer).select_related("latest_revision")
    scheduled = articles.filter(status=Status.SCHEDULED, publish_at__gt=now, publish_at__lte=end)
    ending = articles.filter(status=Status.PUBLISHED, unpublish_at__gt=now, unpublish_at__lte=end)
    events = [Upcoming(a, a.publish_at, "publishes") for a in scheduled]
    events += [Upcoming(a, a.unpublish_at, "embargo ends") for a in ending]
    return sorted(events, key=lambda event: (event.moment, event.article.slug))


@dataclass(frozen=True)
class ChartPoint:
    run: ExposureRun
    x: float
    errors_y: float
    warnings_y: float


@dataclass
class Chart:
    """Findings per recorded run, laid out for an inline SVG (the template draws it)."""

    width: int = 600
    height: int = 200
    margin: int = 30
    points: list[ChartPoint] = field(default_factory=list)
    top: int = 0

    @property
    def errors_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.errors_y:.1f}" for p in self.points)

    @property
    def warnings_line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.warnings_y:.1f}" for p in self.points)

    @property
    def baseline(self) -> int:
        return self.height - self.margin

    @property
    def right(self) -> int:
        return self.width - self.margin


def findings_chart(runs: list[ExposureRun]) -> Chart:
    """The runs oldest first, x by order, y by count (errors and warnings on one scale)."""
    chart = Chart()
    chart.top = max([max(run.errors, run.warnings) for run in runs] + [1])
    inner_width = chart.width - 2 * chart.margin
    inner_height = chart.height - 2 * chart.margin
    step = inner_width / max(len(runs) - 1, 1)

    def y(count: int) -> float:
        return chart.baseline - inner_height * count / chart.top

    chart.points = [
        ChartPoint(run, chart.margin + index * step, y(run.errors), y(run.warnings))
        for index, run in enumerate(runs)
    ]
    return chart


@dataclass
class Dashboard:
    last_run: ExposureRun | None
    findings: list[ExposureFinding]
    chart: Chart
    links: list[Group]
    assets: list[Group]
    stale: list[StaleGrant]
    upcoming: list[Upcoming]


def exposure_dashboard(viewer, now: datetime | None = None) -> Dashboard:
    """Everything the Exposure page shows ``viewer``."""
    now = now or timezone.now()
    runs = list(ExposureRun.objects.order_by("-started_at", "-pk")[:RUNS_CHARTED])[::-1]
    last_run = runs[-1] if runs else None
    return Dashboard(
        last_run=last_run,
        findings=list(last_run.findings.all()) if last_run else [],
        chart=findings_chart(runs),
        links=grouped(share_links(viewer, now), now),
        assets=grouped(private_assets(viewer, now), now),
        stale=stale_grants(viewer, now=now),
        upcoming=upcoming(viewer, now),
    )
