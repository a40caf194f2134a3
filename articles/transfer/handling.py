"""The ``classification`` front-matter field: read, checked before anything is written, applied.

Left out, a new article is standard and an existing one keeps its classification. An import acts
as the site itself, one actor, so it may raise a classification but never do what needs two
publishers: lower one, or publish or schedule a restricted article.
"""

from pathlib import Path

from django.core.exceptions import ValidationError

from articles.access import SYSTEM
from articles.models import Article, Classification, Status
from articles.publishing import classification

_VERB = {Status.PUBLISHED: "publish", Status.SCHEDULED: "schedule"}


def parse_classification(path: Path, meta: dict, fail) -> str | None:
    """The file's classification, or None when it names none; ``fail`` builds the ImportFailure."""
    value = meta.get("classification")
    if value is None or value == "":
        return None
    try:
        return classification.parse(str(value))
    except ValidationError as error:
        raise fail(path, "classification", " ".join(error.messages)) from None


def check_classification(item, existing: Article | None, fail) -> None:
    """Refuse, before anything is written, an import that would need a second publisher.

    ``existing``: the article with the file's slug, as the import just read it (None: a new one).
    """
    current = existing.classification if existing else Classification.STANDARD
    wanted = item.classification or current
    if existing is not None and classification.is_lowering(existing, wanted):
        raise fail(
            item.path,
            "classification",
            f"would lower “{item.slug}” from {current} to {wanted}, which needs two publishers: "
            f"manage.py classify {item.slug} {wanted} --user NAME, approved by another. "
            "Nothing was imported from this file.",
        )
    if wanted == Classification.RESTRICTED and item.status in (Status.PUBLISHED, Status.SCHEDULED):
        raise fail(
            item.path,
            "status",
            f"“{item.slug}” is restricted: an import cannot {_VERB[item.status]} it, "
            "since that needs a second publisher's approval of the imported text. Import it "
            "with another status, then use manage.py approve_publication. "
            "Nothing was imported from this file.",
        )


def apply_classification(article: Article, item) -> None:
    """Raise ``article`` to the file's classification (``check_classification`` ran first)."""
    if item.classification not in (None, article.classification):
        classification.article_classify(
            actor=SYSTEM, article=article, classification=item.classification
        )
