"""Benchmark: `Article.objects.visible_to(user)` at 100,000 articles, in-process.

    .venv/bin/python bench/visible_to.py [--articles 100000] [--database-url URL]

Builds 100,000 articles (four in five published) in a scratch database, and a reader who holds
`view` on 1,000 of the unpublished ones directly and on 1,000 more through a group. Then asks, 30
times each, for the first page of what the reader may see (newest first, 20 rows: what a listing
door asks) and, as the baseline in the same run, for the first page of the public articles alone.
Prints the medians; the last line is JSON for bench/run.py.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bulk import make_current
from scratch import configure

SAMPLES = 30


def build(articles: int):
    from django.contrib.auth.models import Group, Permission, User
    from django.db import transaction
    from django.utils import timezone

    from articles.models import (
        Article,
        ArticleGroupObjectPermission,
        ArticleUserObjectPermission,
        Revision,
        Status,
    )

    now = timezone.now()
    with transaction.atomic():
        created = Article.objects.bulk_create(
            (
                Article(
                    slug=f"article-{n:06d}",
                    status=Status.PUBLISHED if n % 5 else Status.DRAFT,
                    published_at=now - timezone.timedelta(minutes=n) if n % 5 else None,
                )
                for n in range(articles)
            ),
            batch_size=5000,
        )
        revisions = Revision.objects.bulk_create(
            (
                Revision(article=a, number=1, title=f"Headline {a.pk}", body_html="<p>x</p>")
                for a in created
            ),
            batch_size=5000,
        )
        make_current(created, revisions, batch_size=5000)
        reader = User.objects.create_user("reader")
        group = Group.objects.create(name="Early access bench")
        reader.groups.add(group)
        view = Permission.objects.get(codename="view_article", content_type__app_label="articles")
        drafts = [a for a in created if a.status == Status.DRAFT]
        ArticleUserObjectPermission.objects.bulk_create(
            ArticleUserObjectPermission(user=reader, permission=view, content_object=a)
            for a in drafts[:1000]
        )
        ArticleGroupObjectPermission.objects.bulk_create(
            ArticleGroupObjectPermission(group=group, permission=view, content_object=a)
            for a in drafts[1000:2000]
        )
    return reader


def median_ms(query) -> float:
    timings = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        list(query())
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="embargo-bench-visible-") as workdir:
        configure(Path(workdir), database_url=args.database_url)
        reader = build(args.articles)
        from articles.models import Article

        # The model's default order (newest first), as every listing door asks for it.
        visible = median_ms(lambda: Article.objects.visible_to(reader)[:20])
        public = median_ms(lambda: Article.objects.published()[:20])
        count = Article.objects.visible_to(reader).count()
    print(f"visible_to(reader), first page of {count} visible: {visible:.1f} ms")
    print(f"published(), first page (baseline): {public:.1f} ms; ratio {visible / public:.2f}")
    print(json.dumps({"name": "visible_to_100k", "ms": visible, "baseline_ms": public}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
