"""The workflow: one transition table, and the services that move an article along it.

``TRANSITIONS`` is the only statement of which action leads from which states to which, what it
needs and how its button reads; ``allowed_actions`` (what the admin offers), ``_transition`` (what
is accepted), imports (``transfer``) and the admin's buttons all read it. The trail records each
action under its own name (``AuditEvent.Action``), whose words also say why one was refused.
A change of what is public is recorded with its page-cache invalidation in its own transaction
(``audit._record_visibility_change``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.access.policy import (
    CHANGE,
    PUBLISH,
    Actor,
    has_article_permission,
    require_permission,
)
from articles.models import Approval, Article, AuditEvent, Classification, Revision, Status
from articles.publishing import approvals, search_index
from articles.publishing.audit import _record_visibility_change, _record_visibility_changes
from articles.publishing.previews import _preview_links_end_at_embargo_end
from articles.publishing.tasks import publish_due_at


@dataclass(frozen=True)
class Transition:
    """One move: from which states to which, the permission it needs, the button that takes it."""

    sources: frozenset[str]
    target: str
    permission: str
    label: str


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(
        sources=frozenset({Status.DRAFT}),
        target=Status.IN_REVIEW,
        permission=CHANGE,
        label="Submit for review",
    ),
    # From scheduled too: rescheduling pins the current draft (offered when it differs, below).
    "schedule": Transition(
        sources=frozenset({Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED}),
        target=Status.SCHEDULED,
        permission=PUBLISH,
        label="Schedule",
    ),
    "publish": Transition(
        sources=frozenset({Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.PUBLISHED}),
        target=Status.PUBLISHED,
        permission=PUBLISH,
        label="Publish",
    ),
    "withdraw": Transition(
        sources=frozenset({Status.PUBLISHED}),
        target=Status.WITHDRAWN,
        permission=PUBLISH,
        label="Withdraw",
    ),
    "return_to_draft": Transition(
        sources=frozenset({Status.IN_REVIEW, Status.SCHEDULED, Status.WITHDRAWN}),
        target=Status.DRAFT,
        permission=CHANGE,
        label="Return to draft",
    ),
}


def allowed_actions(*, actor: Actor, article: Article) -> list[str]:
    """The transitions ``actor`` may take on ``article`` now, for showing only those in the admin."""
    return [
        action
        for action, step in TRANSITIONS.items()
        if article.status in step.sources
        and has_article_permission(actor, step.permission, article)
        and not (action == "publish" and _nothing_new_to_publish(article))
        and not (action == "schedule" and article.status == Status.SCHEDULED)
    ] + (["schedule"] if _may_reschedule(actor, article) else [])


def scheduled_differs_from_draft(article: Article) -> bool:
    """Whether a scheduled article's working draft was edited after scheduling (it will not go out)."""
    return (
        article.status == Status.SCHEDULED
        and article.scheduled_revision_id != article.latest_revision_id
    )


def _may_reschedule(actor: Actor, article: Article) -> bool:
    # Only when there is a newer draft to pin: rescheduling is how a publisher approves it.
    return scheduled_differs_from_draft(article) and has_article_permission(
        actor, TRANSITIONS["schedule"].permission, article
    )


def _nothing_new_to_publish(article: Article) -> bool:
    return (
        article.status == Status.PUBLISHED
        and article.latest_revision_id == article.live_revision_id
    )


def _make_live(locked: Article, now: datetime, revision: Revision | None = None) -> dict:
    """Point ``locked`` at ``revision`` (default: its working draft) as the live one, or refuse why."""
    if locked.unpublish_at is not None and locked.unpublish_at <= now:
        raise ValidationError(
            f"“{locked.slug}” has an embargo end ({locked.unpublish_at:%Y-%m-%d %H:%M} UTC) "
            "in the past; clear or move it before publishing.",
            code="embargo_ended",
        )
    if revision is None and _nothing_new_to_publish(locked):
        raise ValidationError(
            f"“{locked.slug}” is already published and its working draft is the live "
            "revision: there is nothing new to publish.",
            code="nothing_to_publish",
        )
    published = revision or locked.latest_revision
    if published is None:
        raise ValidationError(f"“{locked.slug}” has no content to publish.")
    locked.live_revision_id = published.pk
    if locked.status != Status.PUBLISHED or locked.published_at is None:
        locked.published_at = now
    return {"revision": published.number}


def _pin_scheduled(locked: Article, revision: Revision | None) -> dict:
    """What the publisher approved: the due publication publishes this and nothing later."""
    pinned = revision or locked.latest_revision
    if pinned is None:
        raise ValidationError(f"“{locked.slug}” has no content to schedule.")
    locked.scheduled_revision = pinned
    return {"revision": pinned.number}


def _transition(
    *,
    actor: Actor,
    article: Article,
    action: str,
    now: datetime | None = None,
    revision: Revision | None = None,
    **changes,
) -> Article:
    """``revision``: the one to schedule or publish instead of the working draft."""
    step = TRANSITIONS[action]
    audit_action = AuditEvent.Action(action)
    if revision is not None and revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    require_permission(actor, step.permission, article, action.replace("_", " "))
    now = now or timezone.now()
    with transaction.atomic():
        # The working draft comes with the row (publishing and scheduling read it); only the
        # article's row is locked: PostgreSQL refuses FOR UPDATE on the outer join's nullable side.
        locked = (
            Article.objects.select_related("latest_revision")
            .select_for_update(of=("self",))
            .get(pk=article.pk)
        )
        if locked.status not in step.sources:
            raise ValidationError(
                f"“{locked.slug}” is {locked.get_status_display().lower()}; it cannot be "
                f"{audit_action.label.lower()} from that state.",
                code="invalid_transition",
            )
        # A published article past its embargo end is no longer public, but pages cached while it
        # was may still be stored: its withdrawal invalidates them like any other.
        was_published = locked.status == Status.PUBLISHED
        for name, value in changes.items():
            setattr(locked, name, value)
        revision_detail = _enter(locked, step.target, now, revision)
        locked.save()
        search_index.refresh([locked])
        # The worker publishes at the publication time and withdraws at the embargo end.
        if step.target == Status.SCHEDULED and locked.publish_at is not None:
            publish_due_at(locked.publish_at)
        if step.target == Status.PUBLISHED and locked.unpublish_at is not None:
            publish_due_at(locked.unpublish_at)
        _record_visibility_change(
            action=audit_action,
            actor=actor,
            article=locked,
            public_changed=was_published or step.target == Status.PUBLISHED,
            detail={k: str(v) for k, v in changes.items()} | revision_detail,
        )
    article.refresh_from_db()
    return article


def _enter(
    locked: Article,
    target: str,
    now: datetime,
    revision: Revision | None,
    *,
    check_approval: bool = True,
) -> dict:
    """Put the locked row in ``target`` (unsaved); returns what the audit event says of revisions.

    ``check_approval``: False when the caller knows no approval applies (``articles_publish``).
    """
    revision_detail = {}
    if target == Status.PUBLISHED:
        revision_detail = _make_live(locked, now, revision)
    if target == Status.SCHEDULED:
        revision_detail = _pin_scheduled(locked, revision)
    else:
        locked.scheduled_revision = None
    if target in (Status.PUBLISHED, Status.SCHEDULED) and check_approval:
        revision_detail |= approvals.require_for_publication(
            locked, scheduling=target == Status.SCHEDULED
        )
    if target == Status.DRAFT and locked.unpublish_at and locked.unpublish_at <= now:
        # A passed embargo end has done its work; keeping it would block every later publish.
        locked.unpublish_at = None
    locked.status = target
    locked.version += 1
    locked.updated_at = now
    return revision_detail


def article_submit(*, actor: Actor, article: Article) -> Article:
    """Draft → in review."""
    return _transition(actor=actor, article=article, action="submit")


def article_publish(
    *,
    actor: Actor,
    article: Article,
    now: datetime | None = None,
    unpublish_at: datetime | None = None,
) -> Article:
    """Make the working draft the live revision and the article public: the one door.

    ``unpublish_at`` sets an embargo end at the same time (e.g. when importing a published article).
    """
    changes: dict[str, Any] = {} if unpublish_at is None else {"unpublish_at": unpublish_at}
    return _transition(actor=actor, article=article, action="publish", now=now, **changes)


# What entering the published state writes on the article's row (``_enter``), besides the live
# revision and the version.
_PUBLISHED_FIELDS = ("published_at", "scheduled_revision_id", "status", "updated_at")


def _store_published(rows: Sequence[Article]) -> None:
    """Write what ``_enter`` set on the locked ``rows``: one UPDATE per distinct set of values.

    A batch of new articles is one statement (``bulk_update``'s CASE per row and field cost more
    than the rest of the publication). Each row's live revision is its working draft and its
    version one more than read: the lock keeps both as ``_enter`` saw them.
    """
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        groups.setdefault(tuple(getattr(row, name) for name in _PUBLISHED_FIELDS), []).append(
            row.pk
        )
    for values, pks in groups.items():
        Article.objects.filter(pk__in=pks).update(
            live_revision=F("latest_revision"),
            version=F("version") + 1,
            **dict(zip(_PUBLISHED_FIELDS, values, strict=True)),
        )


def articles_publish(
    *, actor: Actor, articles: Sequence[Article], now: datetime | None = None
) -> list[Article]:
    """``article_publish`` for each of ``articles`` (their working drafts), in one transaction.

    The same rules, state and audit event per article as publishing them one by one, with one
    page-cache invalidation naming them all. Any refusal refuses the whole call: nothing is
    published. Returns the articles as stored, in the order given.
    """
    step = TRANSITIONS["publish"]
    for article in articles:
        require_permission(actor, step.permission, article, "publish")
    now = now or timezone.now()
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in Article.objects.select_related("latest_revision")
            .select_for_update(of=("self",))
            .filter(pk__in=[article.pk for article in articles])
        }
        # Only an article with an open publication request can have an approval to check or use up;
        # one query tells which, instead of one per article.
        requested = set(
            Approval.objects.filter(
                article__in=list(locked),
                kind=Approval.Kind.PUBLICATION,
                ended_at__isnull=True,
            ).values_list("article_id", flat=True)
        )
        published: list[Article] = []
        changes: list[tuple[Article, dict]] = []
        for article in articles:
            row = locked[article.pk]
            if row.status not in step.sources:
                raise ValidationError(
                    f"“{row.slug}” is {row.get_status_display().lower()}; it cannot be "
                    "published from that state.",
                    code="invalid_transition",
                )
            # Without a request, only a restricted article's publication asks for an approval.
            check_approval = row.pk in requested or row.classification == Classification.RESTRICTED
            detail = _enter(row, step.target, now, None, check_approval=check_approval)
            if row.unpublish_at is not None:
                publish_due_at(row.unpublish_at)
            published.append(row)
            changes.append((row, detail))
        _store_published(published)
        search_index.refresh(published)
        _record_visibility_changes(action=AuditEvent.Action.PUBLISH, actor=actor, changes=changes)
    return published


def article_schedule(
    *,
    actor: Actor,
    article: Article,
    publish_at: datetime,
    unpublish_at: datetime | None = None,
    now: datetime | None = None,
    revision: Revision | None = None,
) -> Article:
    """Publish ``revision`` (default: the working draft now) at ``publish_at``; nothing before then.

    The revision is pinned: an edit made after scheduling stays a working draft and is not published
    at ``publish_at`` unless a publisher schedules (or publishes) it too.
    """
    now = now or timezone.now()
    if timezone.is_naive(publish_at):
        raise ValidationError(
            "The publication time needs a time zone (e.g. 2026-12-01T09:00+00:00)."
        )
    if publish_at <= now:
        raise ValidationError(
            f"The publication time {publish_at:%Y-%m-%d %H:%M %Z} is not in the future; "
            "publish now instead."
        )
    if unpublish_at is not None and unpublish_at <= publish_at:
        raise ValidationError("The embargo end must be after the publication time.")
    # A schedule sets the whole window: an embargo end left over from an earlier publication must
    # not carry over, or the article would silently never be published.
    changes = {"publish_at": publish_at, "unpublish_at": unpublish_at}
    return _transition(
        actor=actor, article=article, action="schedule", now=now, revision=revision, **changes
    )


def article_withdraw(*, actor: Actor, article: Article, now: datetime | None = None) -> Article:
    """Take a published article down: article and assets are private from the next request.

    Withdrawn at or after its embargo end, its share links end too, durably: the serve-time check
    reads ``unpublish_at``, which a return to draft clears, and that must not bring them back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        article = _transition(actor=actor, article=article, action="withdraw", now=now)
        if article.unpublish_at is not None and article.unpublish_at <= now:
            _preview_links_end_at_embargo_end(actor=actor, article=article, now=now)
    return article


def article_return_to_draft(*, actor: Actor, article: Article) -> Article:
    """Back to draft from review, a schedule, or withdrawal."""
    return _transition(actor=actor, article=article, action="return_to_draft")


# The service that takes each action, for doors that offer the actions by name (the admin's buttons).
TRANSITION_SERVICES: dict[str, Callable[..., Article]] = {
    "submit": article_submit,
    "schedule": article_schedule,
    "publish": article_publish,
    "withdraw": article_withdraw,
    "return_to_draft": article_return_to_draft,
}
