"""Benchmark: audit_exposure on 1,000 articles with 5,000 assets, in-process, in a throwaway database.

    .venv/bin/python bench/audit_exposure.py [--articles 1000] [--assets-per-article 5] [--workers N]

Builds the data in a temporary SQLite database and asset directory (``build()``, shared with
``audit_scale.py``: rows are bulk-inserted, not created through the services, so that building
takes seconds), then times two things in the same run: the baseline, one anonymous GET through the
in-process fetcher for every article URL and every asset URL, one after another; and the audit as
``audit_exposure`` runs it, in parallel: its request plan (every non-public object at each of its
doors, the URL-shape variants for a sample of every state), every public page, the API's list and
the searches for hidden text (nine words to a query). Prints both, the ratio of their times and of
their request counts, and whether the 60-second target holds. ``audit_scale.py`` is the one ``make
bench`` runs (10,000 articles, target 120 s).
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bulk import random_assets
from scratch import configure

TARGET_SECONDS = 60


def build(articles: int, assets_per_article: int) -> dict:
    """Half published (with public assets), half not; a tenth of the published carry an edit."""
    from django.db import transaction
    from django.utils import timezone

    from articles.models import Article, Asset, Revision, Status

    statuses = [Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.WITHDRAWN]
    now = timezone.now()
    with transaction.atomic():
        rows = []
        for n in range(articles):
            published = n % 2 == 0
            rows.append(
                Article(
                    slug=f"article-{n:05d}",
                    status=Status.PUBLISHED if published else statuses[n % len(statuses)],
                    published_at=now if published else None,
                    publish_at=now + timezone.timedelta(days=1) if n % 8 == 5 else None,
                )
            )
        created = Article.objects.bulk_create(rows)
        revisions = Revision.objects.bulk_create(
            Revision(
                article=article,
                number=1,
                title=f"Headline number {article.pk} about something newsworthy",
                summary=f"Summary {article.pk}: what happened and why it matters to readers.",
                body=f"Paragraph {article.pk}.",
                body_html=f"<p>A distinctive sentence {secrets.token_hex(8)} for article "
                f"{article.pk}, long enough to be recognised anywhere.</p>",
            )
            for article in created
        )
        assets = Asset.objects.bulk_create(
            random_assets(
                created, assets_per_article, name="figure-{}.png", content_type="image/png"
            )
        )
        through = Revision.assets.through
        by_article = {}
        for asset in assets:
            by_article.setdefault(asset.article_id, []).append(asset)
        through.objects.bulk_create(
            through(revision_id=revision.pk, asset_id=asset.pk)
            for revision in revisions
            for asset in by_article[revision.article_id]
        )
        edits = Revision.objects.bulk_create(
            Revision(
                article_id=revision.article_id,
                number=2,
                title=f"Unpublished new headline {revision.article_id} for the next edition",
                body="Edit.",
                body_html=f"<p>An unpublished sentence {secrets.token_hex(8)} that readers "
                "must not see yet.</p>",
            )
            for n, revision in enumerate(revisions)
            if n % 20 == 0
        )
        edited = {revision.article_id: revision for revision in edits}
        for article, revision in zip(created, revisions, strict=True):
            article.latest_revision = edited.get(article.pk, revision)
            if article.status == Status.PUBLISHED:
                article.live_revision = revision
        Article.objects.bulk_update(created, ["latest_revision", "live_revision"])
    return {"articles": len(created), "assets": len(assets), "edits": len(edits)}


def baseline() -> tuple[float, int]:
    """One anonymous GET per article and asset: the floor any audit has to pay."""
    from articles.exposure import InProcessFetcher
    from articles.models import Article, Asset

    fetch = InProcessFetcher()
    urls = [f"/articles/{slug}/" for slug in Article.objects.values_list("slug", flat=True)]
    urls += [
        f"/assets/{token}/{name}"
        for token, name in Asset.objects.values_list("token", "original_name")
    ]
    started = time.perf_counter()
    for url in urls:
        fetch("GET", url, {})
    return time.perf_counter() - started, len(urls)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the audit's forked workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--assets-per-article", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=0, help="Probe processes (default: one per core, max 4)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="embargo-bench-") as workdir:
        configure(Path(workdir))
        started = time.perf_counter()
        counts = build(args.articles, args.assets_per_article)
        print(
            f"built {counts['articles']} articles, {counts['assets']} assets, "
            f"{counts['edits']} unpublished edits in {time.perf_counter() - started:.1f}s"
        )
        import logging

        from articles.exposure import run_audit

        # The baseline's 404s would otherwise log one line each.
        logging.getLogger("django.request").setLevel(logging.ERROR)

        from articles.exposure import default_workers

        base_seconds, base_requests = baseline()
        workers = args.workers or default_workers()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        report = run_audit(workers=workers)
        audit_seconds = time.perf_counter() - started
        audit_cpu = cpu_seconds() - cpu_before
        print(f"baseline: {base_requests} GETs in {base_seconds:.1f}s (one process)")
        print(
            f"audit:    {report.requests} requests, {report.objects} non-public objects, "
            f"{len(report.errors)} errors, in {audit_seconds:.1f}s with {workers} worker(s) "
            f"({audit_cpu:.1f}s CPU)"
        )
        print(
            f"ratio audit/baseline: {audit_seconds / base_seconds:.2f} "
            f"(requests ratio {report.requests / base_requests:.2f}); "
            f"target < {TARGET_SECONDS}s: {'met' if audit_seconds < TARGET_SECONDS else 'MISSED'}"
        )
        for finding in report.errors[:5]:
            print(f"  {finding.object} {finding.url} {finding.vector}: {finding.evidence}")
        return 0 if audit_seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
