"""Every write Embargo makes: keyword-only services named ``<entity>_<action>``.

Each checks the actor's permission, validates, and writes inside ``transaction.atomic()``, its audit
event included, so a change and its record commit together or not at all. A change of what is
public also invalidates the page cache in that transaction (``audit._record_visibility_change``);
only what lies outside the database (caches elsewhere) waits for the commit, through
``caching.public_pages_changed``. ``actor=SYSTEM`` (``access.SystemActor``) means the trusted shell:
a management command run by staff on the server; ``None`` is refused. Admin actions, forms and
commands call these; nothing else writes.

    revisions   article_update, asset_attach, article_revert (each a new working revision)
    creation    article_create (a slug that is taken tells nothing); article_checked and
                articles_create (many new articles in one transaction, for imports)
    workflow    TRANSITIONS, allowed_actions, article_submit/_schedule/_publish/_withdraw/…,
                articles_publish (many publications, one page-cache invalidation)
    due         publish_due_articles (the due run of publish_scheduled and the worker)
    grants      access_grant, access_revoke
    previews    preview_link_issue, _update, _revoke, preview_links_end_where_creator_lost_access
    files       discard_files_on_failure (uploads stored, and removed if the change fails)
    audit       audit_record, page_cache_purge
    refusals    refusal_message: how every door words a service's refusal
    people      accounts, groups and global permissions
    marks       the mark of a share link's recipient, and the marked copies it serves
"""

from articles.access.policy import (
    CREATOR_PERMISSIONS,
    LINK_CREATOR_PERMISSIONS,
    PERMISSIONS,
    has_article_permission,
)
from articles.publishing.audit import audit_record, page_cache_purge
from articles.publishing.creation import (
    SLUG_UNAVAILABLE,
    CheckedArticle,
    article_checked,
    article_create,
    articles_create,
)
from articles.publishing.due import publish_due_articles
from articles.publishing.files import discard_files_on_failure
from articles.publishing.grants import access_grant, access_revoke
from articles.publishing.marks import (
    mark_for,
    mark_line,
    marked_copies_delete,
    marked_copies_of_ended_links_delete,
    marked_copy,
)
from articles.publishing.previews import (
    preview_link_issue,
    preview_link_revoke,
    preview_link_update,
    preview_links_end_where_creator_lost_access,
    preview_links_revoke_all,
    preview_token,
)
from articles.publishing.refusals import REFUSALS, Refusal, refusal_message
from articles.publishing.revisions import (
    EditConflict,
    article_revert,
    article_update,
    asset_attach,
)
from articles.publishing.tags import TAG_MAX_LENGTH, remembered_tags
from articles.publishing.workflow import (
    TRANSITION_SERVICES,
    TRANSITIONS,
    allowed_actions,
    article_publish,
    article_return_to_draft,
    article_schedule,
    article_submit,
    article_withdraw,
    articles_publish,
    scheduled_differs_from_draft,
)

__all__ = [
    "CREATOR_PERMISSIONS",
    "LINK_CREATOR_PERMISSIONS",
    "PERMISSIONS",
    "REFUSALS",
    "SLUG_UNAVAILABLE",
    "TAG_MAX_LENGTH",
    "TRANSITIONS",
    "TRANSITION_SERVICES",
    "CheckedArticle",
    "EditConflict",
    "Refusal",
    "access_grant",
    "access_revoke",
    "allowed_actions",
    "article_checked",
    "article_create",
    "article_publish",
    "article_return_to_draft",
    "article_revert",
    "article_schedule",
    "article_submit",
    "article_update",
    "article_withdraw",
    "articles_create",
    "articles_publish",
    "asset_attach",
    "audit_record",
    "discard_files_on_failure",
    "has_article_permission",
    "mark_for",
    "mark_line",
    "marked_copies_delete",
    "marked_copies_of_ended_links_delete",
    "marked_copy",
    "page_cache_purge",
    "preview_link_issue",
    "preview_link_revoke",
    "preview_link_update",
    "preview_links_end_where_creator_lost_access",
    "preview_links_revoke_all",
    "preview_token",
    "publish_due_articles",
    "refusal_message",
    "remembered_tags",
    "scheduled_differs_from_draft",
]
