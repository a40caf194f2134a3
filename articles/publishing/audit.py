"""The audit trail, and the record of a visibility change (its event and its page-cache invalidation).

Every service writes its event inside its own ``transaction.atomic()``, so a change and its record
commit together or not at all, and the trail keeps the order things happened in.
"""

from collections.abc import Sequence

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import post_save

from articles.access.policy import Actor, is_system, person, require_permission
from articles.access.rules import is_real_user
from articles.models import Article, Asset, AuditEvent, PreviewLink
from articles.web.caching import purge_public_pages


def audit_event(
    *,
    action: str,
    actor: Actor,
    preview_link: PreviewLink | None = None,
    article: Article | None = None,
    asset: Asset | None = None,
    route: str = "",
    detail: dict | None = None,
    target_user=None,
    target_group: Group | None = None,
) -> AuditEvent:
    """One event of the audit trail, unsaved (``target_*``: whose account or group changed)."""
    # A signed-in person is named even when a link is involved (issuing, revoking, or opening it);
    # the link names an event only when nobody signed in is behind it.
    if not is_system(actor) and is_real_user(actor):
        actor_name = actor.get_username()
    elif preview_link is not None:
        actor_name = f"preview link “{preview_link.label}” (#{preview_link.pk})"
    else:
        actor_name = str(actor) if is_system(actor) else "anonymous"
    return AuditEvent(
        action=action,
        actor=person(actor),
        actor_name=actor_name,
        preview_link=preview_link,
        article=article,
        article_slug=article.slug if article is not None else "",
        asset=asset,
        route=route[:500],
        target_user=target_user,
        target_group=target_group,
        target_name=(
            target_user.get_username() if target_user is not None else str(target_group or "")
        ),
        detail=detail or {},
    )


def audit_record(**event) -> AuditEvent:
    """Append one event to the audit trail now (the arguments of ``audit_event``)."""
    recorded = audit_event(**event)
    recorded.save(force_insert=True)
    return recorded


def audit_record_all(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Append ``events`` (from ``audit_event``) to the trail in one statement, in their order.

    Each is then announced as its own save would announce it (the security log listens), since a
    bulk insert sends no ``post_save``.
    """
    recorded = AuditEvent.objects.bulk_create(events)
    for event in recorded:
        post_save.send(
            sender=AuditEvent,
            instance=event,
            created=True,
            update_fields=None,
            raw=False,
            using=event._state.db,
        )
    return recorded


def _record_visibility_change(
    *, action: str, actor: Actor, article: Article, public_changed: bool, detail: dict | None = None
) -> None:
    """The audit event and, if what the public sees changed, the page-cache invalidation.

    Written in the caller's transaction, never on commit: a withdrawal whose invalidation or audit
    row fails is rolled back whole, rather than committed with the page still cached and unrecorded.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A visibility change must be recorded inside its own transaction.")
    if public_changed:
        purge_public_pages(slugs=[article.slug])
        # The webhook outbox: rows in this transaction, so they commit with the change or not at all.
        from articles.api import webhooks

        webhooks.visibility_changed(article=article)
    audit_record(action=action, actor=actor, article=article, detail=detail)


def _record_visibility_changes(
    *, action: str, actor: Actor, changes: Sequence[tuple[Article, dict]]
) -> None:
    """``_record_visibility_change`` for many articles whose public pages all changed, at once.

    ``changes``: each article with its event's detail. One page-cache invalidation names them all,
    the webhook endpoints are read once, and the events are written in one statement.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A visibility change must be recorded inside its own transaction.")
    if not changes:
        return
    articles = [article for article, _detail in changes]
    purge_public_pages(slugs=[article.slug for article in articles])
    from articles.api import webhooks

    webhooks.visibility_changed_all(articles=articles)
    audit_record_all(
        [
            audit_event(action=action, actor=actor, article=article, detail=detail)
            for article, detail in changes
        ]
    )


def page_cache_purge(*, actor: Actor, article: Article | None = None) -> int:
    """Drop every cached public page now (``article``: the one that prompted it, for outside caches).

    Returns the new page-cache generation.
    """
    require_permission(actor, "publish_article", article, "purge the page cache of")
    with transaction.atomic():
        return purge_public_pages(slugs=[article.slug] if article is not None else [])
