"""The only code that reads permission tables.

Names resolve lazily (PEP 562): ``articles.models`` imports ``articles.access.querysets`` while it
is still loading, so this package must not import the models at import time.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from articles.access.resolve import (
        ARTICLE_PERMS,
        GLOBAL_PERMS,
        PREVIEW_SALT,
        ArticleView,
        Audience,
        EndedLink,
        GlobalHolding,
        Holder,
        article_view,
        asset_for,
        deny,
        global_permission_holders,
        link_end_reason,
        may_read_unpublished,
        may_view,
        not_public_banner,
        preview_banner,
        preview_link_for,
        preview_view,
        who_can_see,
    )

_HOMES = {
    "PREVIEW_SALT": "articles.access.resolve",
    "deny": "articles.access.resolve",
    "may_read_unpublished": "articles.access.resolve",
    "may_view": "articles.access.resolve",
    "ArticleView": "articles.access.resolve",
    "not_public_banner": "articles.access.resolve",
    "article_view": "articles.access.resolve",
    "preview_link_for": "articles.access.resolve",
    "preview_banner": "articles.access.resolve",
    "preview_view": "articles.access.resolve",
    "asset_for": "articles.access.resolve",
    "Holder": "articles.access.resolve",
    "link_end_reason": "articles.access.resolve",
    "EndedLink": "articles.access.resolve",
    "Audience": "articles.access.resolve",
    "ARTICLE_PERMS": "articles.access.resolve",
    "GLOBAL_PERMS": "articles.access.resolve",
    "who_can_see": "articles.access.resolve",
    "GlobalHolding": "articles.access.resolve",
    "global_permission_holders": "articles.access.resolve",
}

__all__ = [
    "ARTICLE_PERMS",
    "GLOBAL_PERMS",
    "PREVIEW_SALT",
    "ArticleView",
    "Audience",
    "EndedLink",
    "GlobalHolding",
    "Holder",
    "article_view",
    "asset_for",
    "deny",
    "global_permission_holders",
    "link_end_reason",
    "may_read_unpublished",
    "may_view",
    "not_public_banner",
    "preview_banner",
    "preview_link_for",
    "preview_view",
    "who_can_see",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
