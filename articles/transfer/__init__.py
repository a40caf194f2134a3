"""Import and export of articles as Markdown with front matter: ``parse`` reads and checks a file,
``apply`` imports it through the services, ``export`` writes one."""

from articles.transfer.apply import Imported, import_article
from articles.transfer.export import articles_to_export, export_article
from articles.transfer.lookups import import_run
from articles.transfer.parse import (
    FIELDS,
    IMPORTABLE_STATUSES,
    SHORT_PERMS,
    ArticleFile,
    Grant,
    ImportFailure,
    duplicate_slugs,
    parse_article_file,
)

__all__ = [
    "FIELDS",
    "IMPORTABLE_STATUSES",
    "SHORT_PERMS",
    "ArticleFile",
    "Grant",
    "ImportFailure",
    "Imported",
    "articles_to_export",
    "duplicate_slugs",
    "export_article",
    "import_article",
    "import_run",
    "parse_article_file",
]
