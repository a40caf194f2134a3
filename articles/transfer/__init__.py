"""Import and export of articles as Markdown with front matter."""

from articles.transfer.apply import (
    FIELDS,
    IMPORTABLE_STATUSES,
    SHORT_PERMS,
    ArticleFile,
    Grant,
    Imported,
    ImportFailure,
    duplicate_slugs,
    export_article,
    import_article,
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
    "duplicate_slugs",
    "export_article",
    "import_article",
    "parse_article_file",
]
