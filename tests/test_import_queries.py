"""How many queries import_articles makes: a constant per file, whatever the size of the import.

What every file names alike (its author, the groups it grants to, its tags) is looked up once per
run, so a larger import costs the same per file; pinned at two sizes, as the listings' counts are.
"""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Status
from tests.factories import make_user

# Each file commits on its own, as in a real run: a tag the first file makes is remembered once
# that file commits, which a test wrapped in one transaction would never reach.
pytestmark = pytest.mark.django_db(transaction=True)

# Per pair of files (one published, one draft, as bench/import_rate.py writes them), by database:
# PostgreSQL also rewrites the published article's stored search document.
QUERIES_PER_PAIR = {"sqlite": 54, "postgresql": 55}
# Once per import: the run's tags looked up together, then made by the first file that uses them;
# its author and group found once.
QUERIES_PER_RUN = {"sqlite": 18, "postgresql": 18}


def write_pairs(directory: Path, pairs: int) -> None:
    for n in range(pairs * 2):
        status = "published" if n % 2 == 0 else "draft"
        (directory / f"story-{n:02d}.md").write_text(
            "---\n"
            f'title: "Story {n}"\n'
            f"slug: story-{n:02d}\n"
            f"status: {status}\n"
            "author: editor\n"
            "tags: [news, Topic One]\n"
            "grants:\n"
            "  - {group: Early access, perm: view}\n"
            "---\n"
            f"Story {n}, with *emphasis*.\n",
            encoding="utf-8",
        )


@pytest.mark.parametrize("pairs", [1, 3])
def test_import_queries_grow_by_a_constant_per_file(tmp_path, pairs):
    make_user("editor")
    # A transactional test flushes the role groups that migrate made.
    Group.objects.get_or_create(name="Early access")
    write_pairs(tmp_path, pairs)
    # The content-type cache lives as long as the process: cold, whatever ran before this test.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        call_command("import_articles", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Article.objects.filter(status=Status.PUBLISHED).count() == pairs
    assert Article.objects.filter(status=Status.DRAFT).count() == pairs
    vendor = connection.vendor
    assert len(queries) == QUERIES_PER_RUN[vendor] + QUERIES_PER_PAIR[vendor] * pairs, "\n".join(
        query["sql"] for query in queries
    )


# New articles without grants or assets are written in batches (transfer/batch.py): the statements
# are per batch, not per file. Per batch of two published and two draft files (19): the slugs
# asked; the transaction and two savepoints; the articles, revisions, tag links and CREATE events
# inserted and the working drafts set, one statement each; the publications' rows locked, their
# open approval requests asked, the rows updated, one page-cache invalidation (its UPDATE and
# read), the webhook endpoints read and the PUBLISH events inserted. PostgreSQL also rewrites the
# published articles' stored search documents, in one statement.
QUERIES_PER_BATCH = {"sqlite": 19, "postgresql": 20}
# Once per import (15): the run's tags looked up together, then each made once by the first batch
# that names it; the page-cache generation's row made by the first publication.
QUERIES_PER_BATCHED_RUN = {"sqlite": 15, "postgresql": 15}
FILES_PER_BATCH = 4


def write_batchable(directory: Path, files: int) -> None:
    for n in range(files):
        status = "published" if n % 2 == 0 else "draft"
        (directory / f"story-{n:02d}.md").write_text(
            f'---\ntitle: "Story {n}"\nslug: story-{n:02d}\nstatus: {status}\n'
            f"tags: [news, Topic One]\n---\nStory {n}, with *emphasis*.\n",
            encoding="utf-8",
        )


@pytest.mark.parametrize("batches", [1, 3])
def test_batched_import_queries_grow_by_a_constant_per_batch(tmp_path, monkeypatch, batches):
    monkeypatch.setattr("articles.management.commands.import_articles.BATCH_SIZE", FILES_PER_BATCH)
    write_batchable(tmp_path, batches * FILES_PER_BATCH)
    ContentType.objects.clear_cache()
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("import_articles", str(tmp_path), stdout=out, stderr=io.StringIO())
    assert f"written in {batches} batches" in out.getvalue()
    assert Article.objects.filter(status=Status.PUBLISHED).count() == batches * 2
    vendor = connection.vendor
    assert len(queries) == (
        QUERIES_PER_BATCHED_RUN[vendor] + QUERIES_PER_BATCH[vendor] * batches
    ), "\n".join(query["sql"] for query in queries)
