"""The stored search document: what PostgreSQL's search finds, kept with each article.

``Article.search_vector`` holds the full-text document of the live revision while the article is
published, and nothing otherwise. It is rewritten by every change of state (publish, scheduled
publication, withdrawal, the embargo end's withdrawal, return to draft) in that change's own
transaction; an edit, an attachment or a revert only makes a working draft, which is never indexed,
so what is searchable moves only when what is public does. The search itself still asks the public
rule (``web/search.py`` starts from ``Article.objects.published()``): an article whose embargo end
has passed stops matching at once, before its withdrawal empties the vector.

Other databases keep no vector: their search reads the live revision's text directly.
"""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import CombinedExpression

from articles.models import Article, Revision, Status

SEARCH_CONFIG = "english"


def document() -> CombinedExpression:
    """A revision's document: title weighted over summary over the text the page shows."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body_text", weight="C", config=SEARCH_CONFIG)
    )


def is_stored() -> bool:
    """Whether this database keeps the document (PostgreSQL) or searches the text itself."""
    return connection.vendor == "postgresql"


def refresh(articles: Iterable[Article] | None = None) -> None:
    """Rewrite the stored documents of ``articles`` (None: every article) from their state, in one
    statement: the live revision's document while published, else NULL."""
    if not is_stored():
        return
    rows = Article.objects.all()
    if articles is not None:
        rows = rows.filter(pk__in=[article.pk for article in articles])
    live = (
        Revision.objects.filter(pk=OuterRef("live_revision_id")).order_by().annotate(d=document())
    )
    rows.update(
        search_vector=Case(
            When(
                Q(status=Status.PUBLISHED, live_revision__isnull=False),
                then=Subquery(live.values("d")),
            ),
            default=Value(None),
        )
    )
