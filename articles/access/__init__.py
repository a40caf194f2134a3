"""The only code that reads permission tables: who may see, and do, what.

The one rule, in one table (``policy`` holds the vocabulary, ``rules`` the SQL):

    =============  ==============================================================================
    public         status published, a live revision, and no embargo end (``unpublish_at``) passed
    view           read unpublished work: superuser, or ``view_article`` globally or on the object
    change         edit, submit, return to draft      -- requires view on the same article
    publish        publish, schedule, withdraw, purge -- requires view on the same article
    share          grant, revoke, issue share links   -- requires view on the same article
    =============  ==============================================================================

"Requires" means a grant of change, publish or share without view is worth nothing: the reads
(``Article.objects.visible_to``), the per-object answers (``has_article_permission``), the
actions offered (``publishing.allowed_actions``) and the audience (``who_can_see``) agree.

Names resolve lazily (PEP 562): ``articles.models`` imports ``articles.access.querysets`` while it
is still loading, so importing this package must not import the models.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from articles.access.audience import (
        Audience,
        EndedLink,
        GlobalHolding,
        Holder,
        global_permission_holders,
        link_end_reason,
        who_can_see,
    )
    from articles.access.policy import (
        ARTICLE_PERMS,
        CREATOR_PERMISSIONS,
        GLOBAL_PERMS,
        LINK_CREATOR_PERMISSIONS,
        PERMISSIONS,
        REQUIRES_VIEW,
        SYSTEM,
        SystemActor,
        effective_perms,
        has_article_permission,
        is_system,
        person,
        require_permission,
        short_name,
    )
    from articles.access.resolve import (
        PREVIEW_SALT,
        ArticleView,
        article_view,
        asset_for,
        deny,
        may_read_unpublished,
        may_view,
        not_public_banner,
        preview_banner,
        preview_link_for,
        preview_view,
    )
    from articles.access.rules import (
        embargo_ended,
        embargo_open_q,
        granted_article_ids_q,
        holds_article_permission_q,
        is_public,
        is_real_user,
        public_article_q,
        real_people,
    )

_HOMES = {
    "person": "articles.access.policy",
    "is_system": "articles.access.policy",
    "SystemActor": "articles.access.policy",
    "SYSTEM": "articles.access.policy",
    "ARTICLE_PERMS": "articles.access.policy",
    "CREATOR_PERMISSIONS": "articles.access.policy",
    "GLOBAL_PERMS": "articles.access.policy",
    "LINK_CREATOR_PERMISSIONS": "articles.access.policy",
    "PERMISSIONS": "articles.access.policy",
    "REQUIRES_VIEW": "articles.access.policy",
    "effective_perms": "articles.access.policy",
    "has_article_permission": "articles.access.policy",
    "require_permission": "articles.access.policy",
    "short_name": "articles.access.policy",
    "embargo_ended": "articles.access.rules",
    "embargo_open_q": "articles.access.rules",
    "granted_article_ids_q": "articles.access.rules",
    "is_public": "articles.access.rules",
    "holds_article_permission_q": "articles.access.rules",
    "is_real_user": "articles.access.rules",
    "public_article_q": "articles.access.rules",
    "real_people": "articles.access.rules",
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
    "Holder": "articles.access.audience",
    "link_end_reason": "articles.access.audience",
    "EndedLink": "articles.access.audience",
    "Audience": "articles.access.audience",
    "who_can_see": "articles.access.audience",
    "GlobalHolding": "articles.access.audience",
    "global_permission_holders": "articles.access.audience",
}

__all__ = [
    "ARTICLE_PERMS",
    "CREATOR_PERMISSIONS",
    "GLOBAL_PERMS",
    "LINK_CREATOR_PERMISSIONS",
    "PERMISSIONS",
    "PREVIEW_SALT",
    "REQUIRES_VIEW",
    "SYSTEM",
    "ArticleView",
    "Audience",
    "EndedLink",
    "GlobalHolding",
    "Holder",
    "SystemActor",
    "article_view",
    "asset_for",
    "deny",
    "effective_perms",
    "embargo_ended",
    "embargo_open_q",
    "global_permission_holders",
    "granted_article_ids_q",
    "has_article_permission",
    "holds_article_permission_q",
    "is_public",
    "is_real_user",
    "is_system",
    "link_end_reason",
    "may_read_unpublished",
    "may_view",
    "not_public_banner",
    "person",
    "preview_banner",
    "preview_link_for",
    "preview_view",
    "public_article_q",
    "real_people",
    "require_permission",
    "short_name",
    "who_can_see",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
