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
