"""Importing new articles in batches: every file checked first, then a batch written at once.

A file that makes a new article without assets, grants, a schedule, an embargo end or a
classification is *batchable*. Each is checked and rendered first, reading and writing nothing; a
file that fails its check fails alone, with its field and message, and leaves no row. The rest of
the batch is then written in one transaction through the services built for many
(``publishing.articles_create``, ``publishing.articles_publish``): the same rows, grants and audit
events as one file at a time, with one page-cache invalidation for what the batch publishes. If
that write fails (a slug taken since it was asked, the database refusing), nothing of the batch is
kept and its files are imported one by one (``apply.import_article``), each in its own transaction.
Anything else, an update of an existing article above all, is imported one by one from the start.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Classification, Status
from articles.transfer.apply import Imported, _validation_failure
from articles.transfer.lookups import user_named
from articles.transfer.parse import ArticleFile, ImportFailure

# Files written per transaction: large enough that the per-batch statements vanish per file, small
# enough that a batch retried one by one after a failed write costs little.
BATCH_SIZE = 250


def is_batchable(item: ArticleFile) -> bool:
    """Whether ``item`` may go in a batch, if no article has its slug yet."""
    return (
        item.status in (None, Status.DRAFT, Status.PUBLISHED)
        and item.classification in (None, Classification.STANDARD)
        and item.publish_at is None
        and item.unpublish_at is None
        and not item.assets
        and not item.grants
    )


@dataclass
class BatchOutcome:
    imported: list[Imported] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    # Files to import one by one: their slug exists, or the batch's write failed (``write_error``).
    one_by_one: list[ArticleFile] = field(default_factory=list)
    write_error: str = ""


def _checked(item: ArticleFile) -> publishing.CheckedArticle:
    author = user_named(item.path, "author", item.author) if item.author else None
    try:
        return publishing.article_checked(
            actor=SYSTEM,
            slug=item.slug,
            title=item.title,
            summary=item.summary,
            body=item.body,
            tags=item.tags,
            author=author,
        )
    except ValidationError as error:
        raise _validation_failure(item.path, error, "body") from None


def import_batch(items: Sequence[ArticleFile]) -> BatchOutcome:
    """Import batchable ``items`` (at most ``BATCH_SIZE``) as new articles, in one transaction."""
    outcome = BatchOutcome()
    taken = set(
        Article.objects.filter(slug__in=[item.slug for item in items]).values_list(
            "slug", flat=True
        )
    )
    checked: list[tuple[ArticleFile, publishing.CheckedArticle]] = []
    for item in items:
        if item.slug in taken:
            outcome.one_by_one.append(item)
            continue
        try:
            checked.append((item, _checked(item)))
        except ImportFailure as failure:
            outcome.failures.append(failure)
    if not checked:
        return outcome
    try:
        with transaction.atomic():
            articles = publishing.articles_create(
                actor=SYSTEM, checked=[new for _item, new in checked]
            )
            to_publish = [
                article
                for (item, _new), article in zip(checked, articles, strict=True)
                if item.status == Status.PUBLISHED
            ]
            published = {
                article.pk: article
                for article in publishing.articles_publish(actor=SYSTEM, articles=to_publish)
            }
    except (DatabaseError, ValidationError) as error:
        outcome.one_by_one += [item for item, _new in checked]
        outcome.write_error = str(getattr(error, "messages", [error])[0])
        return outcome
    for (item, _new), article in zip(checked, articles, strict=True):
        stored = published.get(article.pk, article)
        outcome.imported.append(
            Imported(
                path=item.path,
                slug=stored.slug,
                created=True,
                status=stored.status,
                classification=stored.classification,
            )
        )
    return outcome
