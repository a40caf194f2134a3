"""Every write Embargo makes: keyword-only services named ``<entity>_<action>``.

Each checks the actor's permission, validates, and writes inside ``transaction.atomic()``, its audit
event included, so a change and its record commit together or not at all (and the trail keeps the
order things happened in). A change of what is public also invalidates the page cache in that
transaction (``_record_visibility_change``); only what lies outside the database (caches elsewhere)
waits for the commit, through ``caching.public_pages_changed``. ``actor=SYSTEM`` (``access.SystemActor``) means the
trusted shell: a management command run by staff on the server. Admin actions, forms and commands
call these; nothing else writes.
"""

import contextlib
import contextvars
import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.text import slugify
from guardian.conf import settings as guardian_settings
from guardian.shortcuts import assign_perm, remove_perm

from articles import featured, renditions
from articles.access import PREVIEW_SALT
from articles.access.policy import (
    CREATOR_PERMISSIONS,
    LINK_CREATOR_PERMISSIONS,
    PERMISSIONS,
    SYSTEM,
    has_article_permission,
    is_system,
    person,
)
from articles.access.rules import is_real_user
from articles.models import (
    Article,
    Asset,
    AuditEvent,
    PreviewLink,
    Revision,
    Status,
    Tag,
    validate_slug,
)
from articles.publishing import marks
from articles.publishing.rendering import render_markdown
from articles.publishing.tasks import publish_due_at
from articles.storage import asset_storage
from articles.validation import inspect_upload
from articles.web.caching import purge_public_pages

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


class EditConflict(ValidationError):
    """The article changed since the editor's form was loaded."""


# Transition table: action -> (states it may start from, state it ends in, permission it needs).
TRANSITIONS = {
    "submit": ({Status.DRAFT}, Status.IN_REVIEW, "change_article"),
    # From scheduled too: rescheduling pins the current draft (offered when it differs, below).
    "schedule": (
        {Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED},
        Status.SCHEDULED,
        "publish_article",
    ),
    "publish": (
        {Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.PUBLISHED},
        Status.PUBLISHED,
        "publish_article",
    ),
    "withdraw": ({Status.PUBLISHED}, Status.WITHDRAWN, "publish_article"),
    "return_to_draft": (
        {Status.IN_REVIEW, Status.SCHEDULED, Status.WITHDRAWN},
        Status.DRAFT,
        "change_article",
    ),
}


def allowed_actions(*, actor, article: Article) -> list[str]:
    """The transitions ``actor`` may take on ``article`` now, for showing only those in the admin."""
    return [
        action
        for action, (sources, _target, permission) in TRANSITIONS.items()
        if article.status in sources
        and has_article_permission(actor, permission, article)
        and not (action == "publish" and _nothing_new_to_publish(article))
        and not (action == "schedule" and article.status == Status.SCHEDULED)
    ] + (["schedule"] if _may_reschedule(actor, article) else [])


def scheduled_differs_from_draft(article: Article) -> bool:
    """Whether a scheduled article's working draft was edited after scheduling (it will not go out)."""
    return (
        article.status == Status.SCHEDULED
        and article.scheduled_revision_id != article.latest_revision_id
    )


def _may_reschedule(actor, article: Article) -> bool:
    # Only when there is a newer draft to pin: rescheduling is how a publisher approves it.
    return scheduled_differs_from_draft(article) and has_article_permission(
        actor, "publish_article", article
    )


def _nothing_new_to_publish(article: Article) -> bool:
    return (
        article.status == Status.PUBLISHED
        and article.latest_revision_id == article.live_revision_id
    )


def _require(actor, codename: str, article: Article | None, doing: str) -> None:
    if not has_article_permission(actor, codename, article):
        target = f" “{article.slug}”" if article is not None and article.pk else ""
        raise PermissionDenied(f"You do not have permission to {doing}{target}.")


# --- stored files are removed again if the work that stored them fails --------------------------

_stored_files: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "embargo_stored_files", default=None
)


@contextlib.contextmanager
def discard_files_on_failure():
    """Delete every asset file stored inside this block if the block raises: nothing half-written."""
    if _stored_files.get() is not None:
        yield
        return
    token = _stored_files.set([])
    try:
        yield
    except BaseException:
        # The original error is what the caller must see; a store that cannot delete either (it
        # is down) leaves orphans, which are logged and which `manage.py gc_assets` finds.
        storage = asset_storage()
        for name in _stored_files.get():
            try:
                storage.delete(name)
            except Exception as cleanup_error:
                logging.getLogger("embargo.health").warning(
                    "could not delete an asset file of a failed change; see manage.py gc_assets",
                    extra={"component": "storage", "error": repr(cleanup_error)},
                )
        raise
    finally:
        _stored_files.reset(token)


# --- audit ----------------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    actor,
    preview_link: PreviewLink | None = None,
    article: Article | None = None,
    asset: Asset | None = None,
    route: str = "",
    detail: dict | None = None,
    target_user=None,
    target_group: Group | None = None,
) -> AuditEvent:
    """Append one event to the audit trail now (``target_*``: whose account or group changed)."""
    # A signed-in person is named even when a link is involved (issuing, revoking, or opening it);
    # the link names an event only when nobody signed in is behind it.
    if not is_system(actor) and is_real_user(actor):
        actor_name = actor.get_username()
    elif preview_link is not None:
        actor_name = f"preview link “{preview_link.label}” (#{preview_link.pk})"
    else:
        actor_name = str(actor) if is_system(actor) else "anonymous"
    return AuditEvent.objects.create(
        action=action,
        actor=person(actor) if is_real_user(person(actor)) else None,
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


def _record_visibility_change(
    *, action: str, actor, article: Article, public_changed: bool, detail: dict | None = None
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


# --- articles and revisions -----------------------------------------------------------------------


def _tags_from_names(names: Iterable[str], *, actor) -> list[Tag]:
    """The tags for a revision, one per slug, each spelt as typed unless ``actor`` can see an article
    that already spells it otherwise (then that spelling, so visible tag pages stay tidy)."""
    tags: dict[str, Tag] = {}
    for name in names:
        name = str(name).strip()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                {"tags": f"“{name[:20]}…” is longer than {TAG_MAX_LENGTH} characters."}
            )
        slug = slugify(name)
        try:
            validate_slug(slug)
        except ValidationError:
            raise ValidationError({"tags": f"“{name}” cannot be used as a tag."}) from None
        if slug in tags:
            continue
        spellings = Tag.objects.filter(slug=slug)
        if not is_system(actor):
            spellings = spellings.visible_to(actor)
        tag = spellings.order_by("pk").first()
        if tag is None:
            # Same name, same row: a hidden article's tag spelt exactly as typed tells nothing new.
            tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": slug})
        tags[slug] = tag
    return list(tags.values())


def _tag_names(revision: Revision | None) -> list[str]:
    return [tag.name for tag in revision.tags.all()] if revision is not None else []


def _newest_per_name(assets: Iterable[Asset]) -> list[Asset]:
    """One asset per original name, the newest upload winning (re-uploading replaces a file)."""
    by_name: dict[str, Asset] = {}
    for asset in sorted(assets, key=lambda a: (a.created_at, a.pk)):
        by_name[asset.original_name] = asset
    return list(by_name.values())


def _create_revision(
    *,
    article: Article,
    actor,
    title: str,
    summary: str,
    body: str,
    tags: Sequence[str],
    assets: Iterable[Asset],
    featured_image: Asset | None = None,
    featured_explicit: bool = False,
) -> Revision:
    assets = _newest_per_name(assets)
    foreign = [asset for asset in assets if asset.article_id != article.pk]
    if foreign:
        raise ValidationError(
            {"assets": f"“{foreign[0].original_name}” belongs to another article."}
        )
    rendered = render_markdown(body, assets=assets)
    number = (article.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = Revision(
        article=article,
        number=number,
        title=title.strip(),
        summary=summary.strip(),
        body=body,
        body_html=rendered.html,
        body_text=rendered.text,
        reading_minutes=rendered.reading_minutes,
        created_by=person(actor),
        featured_image=featured.choose(featured_image, assets, explicit=featured_explicit),
    )
    revision.full_clean(exclude=["article", "created_by", "featured_image"])
    revision.save()
    revision.tags.set(_tags_from_names(tags, actor=actor))
    revision.assets.set(assets)
    return revision


def _store_files(*, article: Article, actor, files: Iterable[tuple[str, object]]) -> list[Asset]:
    """Validate and store uploads as assets of ``article``. Names never become storage paths."""
    assets = []
    errors = []
    checked = []
    for name, content in files:
        try:
            checked.append(inspect_upload(content, name))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"assets": errors})
    stored = _stored_files.get()
    for facts in checked:
        asset = Asset(
            article=article,
            original_name=facts.original_name,
            content_type=facts.content_type,
            size=facts.size,
            sha256=facts.sha256,
            removed_metadata=list(facts.removed_metadata),
            uploaded_by=person(actor),
        )
        # The stripped content, never the upload as it came: that is what size and sha256 describe.
        asset.file.save(facts.original_name, ContentFile(facts.content), save=False)
        if stored is not None:
            stored.append(asset.file.name)
        asset.save()
        renditions.generate(asset, stored=stored)
        assets.append(asset)
    return assets


SLUG_UNAVAILABLE = "This slug is not available; choose another."


def _slug_unavailable() -> ValidationError:
    return ValidationError({"slug": SLUG_UNAVAILABLE}, code="slug_unavailable")


def _refuse_taken_slug(*, actor, slug: str, existing: Article) -> None:
    """Refuse a taken slug in the same words whoever owns it, and record the attempt.

    "Already exists" would tell an author which hidden slugs exist. The event is on the existing
    article, so its own people see the attempt and the one who tried does not.
    """
    audit_record(
        action=AuditEvent.Action.SLUG_REFUSED, actor=actor, article=existing, detail={"slug": slug}
    )
    raise _slug_unavailable()


def article_create(
    *,
    actor,
    slug: str,
    title: str,
    summary: str = "",
    body: str = "",
    tags: Sequence[str] = (),
    files: Iterable[tuple[str, object]] = (),
    author=None,
    featured_image_name: str | None = None,
) -> Article:
    """Create a private draft with its first revision; its creator may view, change and share it.

    Whether the slug is taken is asked last, once everything else (text, tags, files) was accepted:
    otherwise an invalid submission would tell, for free and without a trace, whether a hidden slug
    exists. Until then the row carries a placeholder slug no real one can equal (see validate_slug).

    ``featured_image_name``: which of ``files`` (an image) is the article's featured image.
    """
    _require(actor, "add_article", None, "create articles")
    slug = slug.strip()
    article = Article(slug=slug, author=author or person(actor))
    # Not the model's "Article with this Slug already exists.": see _refuse_taken_slug.
    article.full_clean(exclude=["live_revision", "latest_revision"], validate_unique=False)
    try:
        with discard_files_on_failure(), transaction.atomic():
            article.slug = f"~creating-{secrets.token_hex(12)}"
            article.save()
            _create_first_revision(
                article=article,
                actor=actor,
                title=title,
                summary=summary,
                body=body,
                tags=tags,
                files=files,
                featured_image_name=featured_image_name,
            )
            _claim_slug(article, slug)
            if not is_system(actor):
                for codename in CREATOR_PERMISSIONS:
                    assign_perm(codename, actor, article)
            audit_record(action=AuditEvent.Action.CREATE, actor=actor, article=article)
    except _SlugTaken:
        # Everything else was valid: the create would have gone through. Rolled back, but recorded.
        article.slug = slug
        existing = Article.objects.filter(slug=slug).first()
        if existing is None:
            raise _slug_unavailable() from None
        _refuse_taken_slug(actor=actor, slug=slug, existing=existing)
    return article


class _SlugTaken(Exception):
    """Raised inside ``article_create``'s transaction to roll it back when the slug is taken."""


def _claim_slug(article: Article, slug: str) -> None:
    if Article.objects.filter(slug=slug).exists():
        raise _SlugTaken
    try:
        with transaction.atomic():
            Article.objects.filter(pk=article.pk).update(slug=slug)
    except IntegrityError:
        # Taken between the check and the update: the same answer.
        raise _SlugTaken from None
    article.slug = slug


def _create_first_revision(
    *,
    article: Article,
    actor,
    title: str,
    summary: str,
    body: str,
    tags,
    files,
    featured_image_name: str | None,
) -> None:
    assets = _store_files(article=article, actor=actor, files=files)
    revision = _create_revision(
        article=article,
        actor=actor,
        title=title,
        summary=summary,
        body=body,
        tags=tags,
        assets=assets,
        featured_image=featured.named(featured_image_name, assets),
        featured_explicit=True,
    )
    article.latest_revision = revision
    article.save(update_fields=["latest_revision"])


def _claim_version(article: Article, expected_version: int | None) -> None:
    """Bump the version, refusing if someone saved since ``expected_version`` was read."""
    rows = Article.objects.filter(pk=article.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(version=F("version") + 1, updated_at=timezone.now()):
        raise EditConflict(
            f"“{article.slug}” was changed by someone else after you opened it, so your save was "
            "refused to keep their edit. Your text is still in the form: copy it, reload the page "
            "to see the current version, and apply your changes again.",
            code="edit_conflict",
        )
    # The UPDATE holds the row until commit: build on the draft stored now, never on the caller's
    # possibly stale copy, or a save without an expected version would drop someone else's edit.
    article.refresh_from_db(fields=["version", "updated_at", "latest_revision"])


def article_update(
    *,
    actor,
    article: Article,
    title: str,
    summary: str = "",
    body: str = "",
    tags: Sequence[str] | None = None,
    files: Iterable[tuple[str, object]] = (),
    keep_assets: Iterable[Asset] | None = None,
    featured_image=featured.KEEP,
    expected_version: int | None = None,
) -> Revision:
    """Save a new working revision. Readers of a published article still see its live revision.

    ``featured_image``: one of the draft's image assets, None for none, or (by default) the
    working draft's choice carried forward.
    """
    _require(actor, "change_article", article, "edit")
    with discard_files_on_failure(), transaction.atomic():
        _claim_version(article, expected_version)
        latest = article.latest_revision
        if keep_assets is None:
            keep_assets = latest.assets.all() if latest else []
        if tags is None:
            tags = _tag_names(latest)
        new_assets = _store_files(article=article, actor=actor, files=files)
        revision = _create_revision(
            article=article,
            actor=actor,
            title=title,
            summary=summary,
            body=body,
            tags=tags,
            assets=[*keep_assets, *new_assets],
            featured_image=(
                (latest.featured_image if latest else None)
                if featured_image is featured.KEEP
                else featured_image
            ),
            featured_explicit=featured_image is not featured.KEEP,
        )
        article.latest_revision = revision
        article.save(update_fields=["latest_revision"])
        audit_record(
            action=AuditEvent.Action.EDIT,
            actor=actor,
            article=article,
            detail={"revision": revision.number},
        )
    return revision


def _copy_to_working_draft(*, article: Article, actor, source: Revision, assets) -> Revision:
    """A new working revision with ``source``'s words and tags and the given assets."""
    article.latest_revision = _create_revision(
        article=article,
        actor=actor,
        title=source.title,
        summary=source.summary,
        body=source.body,
        tags=_tag_names(source),
        assets=assets,
        featured_image=source.featured_image,
    )
    article.save(update_fields=["latest_revision"])
    return article.latest_revision


def asset_attach(*, actor, article: Article, name: str, content) -> Asset:
    """Attach one file to the working draft (a new revision); it stays private until published."""
    _require(actor, "change_article", article, "attach files to")
    with discard_files_on_failure(), transaction.atomic():
        _claim_version(article, None)
        (asset,) = _store_files(article=article, actor=actor, files=[(name, content)])
        latest = article.latest_revision
        _copy_to_working_draft(
            article=article, actor=actor, source=latest, assets=[*latest.assets.all(), asset]
        )
        audit_record(
            action=AuditEvent.Action.ASSET_ATTACH,
            actor=actor,
            article=article,
            asset=asset,
            detail={
                "name": asset.original_name,
                "sha256": asset.sha256,
                **({"removed_metadata": asset.removed_metadata} if asset.removed_metadata else {}),
            },
        )
    return asset


def article_revert(
    *, actor, article: Article, revision: Revision, expected_version: int | None = None
) -> Revision:
    """Make an old revision's content the working draft again, as a new revision."""
    if revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    _require(actor, "change_article", article, "revert")
    with transaction.atomic():
        _claim_version(article, expected_version)
        new = _copy_to_working_draft(
            article=article, actor=actor, source=revision, assets=list(revision.assets.all())
        )
        audit_record(
            action=AuditEvent.Action.REVERT,
            actor=actor,
            article=article,
            detail={"from_revision": revision.number, "revision": new.number},
        )
    return new


# --- state transitions ----------------------------------------------------------------------------


def _make_live(locked: Article, now: datetime, revision: Revision | None = None) -> dict:
    """Point ``locked`` at ``revision`` (default: its working draft) as the live one, or refuse why."""
    if locked.unpublish_at is not None and locked.unpublish_at <= now:
        raise ValidationError(
            f"“{locked.slug}” has an embargo end ({locked.unpublish_at:%Y-%m-%d %H:%M} UTC) "
            "in the past; clear or move it before publishing.",
            code="embargo_ended",
        )
    if locked.latest_revision_id is None:
        raise ValidationError(f"“{locked.slug}” has no content to publish.")
    if revision is None and _nothing_new_to_publish(locked):
        raise ValidationError(
            f"“{locked.slug}” is already published and its working draft is the live "
            "revision: there is nothing new to publish.",
            code="nothing_to_publish",
        )
    published = revision or locked.latest_revision
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
    actor,
    article: Article,
    action: str,
    now: datetime | None = None,
    revision: Revision | None = None,
    **changes,
) -> Article:
    """``revision``: the one to schedule or publish instead of the working draft."""
    sources, target, permission = TRANSITIONS[action]
    if revision is not None and revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    _require(actor, permission, article, action.replace("_", " "))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.status not in sources:
            raise ValidationError(
                f"“{locked.slug}” is {locked.get_status_display().lower()}; it cannot be "
                f"{_PAST[action]} from that state.",
                code="invalid_transition",
            )
        # A published article past its embargo end is no longer public, but pages cached while it
        # was may still be stored: its withdrawal invalidates them like any other.
        was_published = locked.status == Status.PUBLISHED
        revision_detail = {}
        for name, value in changes.items():
            setattr(locked, name, value)
        if target == Status.PUBLISHED:
            revision_detail = _make_live(locked, now, revision)
        if target == Status.SCHEDULED:
            revision_detail = _pin_scheduled(locked, revision)
        else:
            locked.scheduled_revision = None
        if target == Status.DRAFT and locked.unpublish_at and locked.unpublish_at <= now:
            # A passed embargo end has done its work; keeping it would block every later publish.
            locked.unpublish_at = None
        locked.status = target
        locked.version += 1
        locked.updated_at = now
        locked.save()
        # The worker publishes at the publication time and withdraws at the embargo end.
        if target == Status.SCHEDULED:
            publish_due_at(locked.publish_at)
        if target == Status.PUBLISHED and locked.unpublish_at is not None:
            publish_due_at(locked.unpublish_at)
        _record_visibility_change(
            action=_AUDIT_ACTION[action],
            actor=actor,
            article=locked,
            public_changed=was_published or target == Status.PUBLISHED,
            detail={k: str(v) for k, v in changes.items()} | revision_detail,
        )
    article.refresh_from_db()
    return article


_PAST = {
    "submit": "submitted for review",
    "schedule": "scheduled",
    "publish": "published",
    "withdraw": "withdrawn",
    "return_to_draft": "returned to draft",
}
_AUDIT_ACTION = {
    "submit": AuditEvent.Action.SUBMIT,
    "schedule": AuditEvent.Action.SCHEDULE,
    "publish": AuditEvent.Action.PUBLISH,
    "withdraw": AuditEvent.Action.WITHDRAW,
    "return_to_draft": AuditEvent.Action.RETURN_TO_DRAFT,
}


def article_submit(*, actor, article: Article) -> Article:
    """Draft → in review."""
    return _transition(actor=actor, article=article, action="submit")


def article_publish(
    *,
    actor,
    article: Article,
    now: datetime | None = None,
    unpublish_at: datetime | None = None,
) -> Article:
    """Make the working draft the live revision and the article public: the one door.

    ``unpublish_at`` sets an embargo end at the same time (e.g. when importing a published article).
    """
    changes = {} if unpublish_at is None else {"unpublish_at": unpublish_at}
    return _transition(actor=actor, article=article, action="publish", now=now, **changes)


def article_schedule(
    *,
    actor,
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


def article_withdraw(*, actor, article: Article, now: datetime | None = None) -> Article:
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


EMBARGO_ENDED_REASON = "the article's embargo end passed"


def _preview_links_end_at_embargo_end(*, actor, article: Article, now: datetime) -> None:
    """Revoke the unexpired, unrevoked links of ``article``, with one audit event (if any)."""
    links = list(
        article.preview_links.filter(revoked_at__isnull=True, expires_at__gt=now).values_list(
            "pk", flat=True
        )
    )
    if not links:
        return
    PreviewLink.objects.filter(pk__in=links).update(
        revoked_at=now, revoked_reason=EMBARGO_ENDED_REASON
    )
    marks.marked_copies_delete(links=links)
    audit_record(
        action=AuditEvent.Action.PREVIEW_REVOKE,
        actor=actor,
        article=article,
        detail={"links": links, "reasons": {str(pk): EMBARGO_ENDED_REASON for pk in links}},
    )


def article_return_to_draft(*, actor, article: Article) -> Article:
    """Back to draft from review, a schedule, or withdrawal."""
    return _transition(actor=actor, article=article, action="return_to_draft")


def publish_due_articles(*, now: datetime | None = None) -> tuple[list[Article], list[Article]]:
    """Publish scheduled articles that are due and withdraw those whose embargo ended.

    Each article is handled in its own transaction under a row lock and re-checked inside it, so
    concurrent runs (cron overlapping itself) never publish one article twice.
    """
    now = now or timezone.now()
    published, withdrawn = [], []
    # An article whose whole window passed while cron was down is never published: publishing it
    # would be refused (embargo end in the past) and would stop the run for every article after it.
    is_due = Q(status=Status.SCHEDULED, publish_at__lte=now, scheduled_revision__isnull=False) & (
        Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now)
    )
    due = Article.objects.filter(is_due).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            article = _lock_if(pk, is_due)
            if article is not None:
                # The scheduled revision, never a later edit that no publisher approved.
                published.append(
                    _transition(
                        actor=SYSTEM,
                        article=article,
                        action="publish",
                        now=now,
                        revision=article.scheduled_revision,
                    )
                )
    expired = Article.objects.filter(status=Status.PUBLISHED, unpublish_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(expired):
        with transaction.atomic():
            article = _lock_if(pk, status=Status.PUBLISHED, unpublish_at__lte=now)
            if article is not None:
                withdrawn.append(article_withdraw(actor=SYSTEM, article=article, now=now))
    return published, withdrawn


def _lock_if(pk: int, *conditions: Q, **lookups) -> Article | None:
    rows = Article.objects.filter(*conditions, pk=pk, **lookups)
    if transaction.get_connection().features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return rows.first()


def page_cache_purge(*, actor, article: Article | None = None) -> int:
    """Drop every cached public page now (``article``: the one that prompted it, for outside caches).

    Returns the new page-cache generation.
    """
    _require(actor, "publish_article", article, "purge the page cache of")
    with transaction.atomic():
        return purge_public_pages(slugs=[article.slug] if article is not None else [])


# --- access ---------------------------------------------------------------------------------------


def _resolve_permission(perm: str) -> str:
    try:
        return PERMISSIONS[perm]
    except KeyError:
        raise ValidationError(
            f"“{perm}” is not a permission; use one of: {', '.join(PERMISSIONS)}."
        ) from None


def _grant_target(user, group):
    if (user is None) == (group is None):
        raise ValidationError("Name exactly one user or one group.")
    if user is not None and user.get_username() == guardian_settings.ANONYMOUS_USER_NAME:
        raise ValidationError(
            "Access cannot be granted to the anonymous user: only publishing makes an article public."
        )
    return user if user is not None else group


def _grant_detail(perm: str, user, group: Group | None) -> dict:
    # The pk too: a name can change hands (a rename), the account it was given to cannot.
    if user is not None:
        return {"perm": perm, "user": user.get_username(), "user_id": user.pk}
    return {"perm": perm, "group": group.name, "group_id": group.pk}


def access_grant(*, actor, article: Article, perm: str, user=None, group: Group | None = None):
    """Give a user or group one permission on one article. You can only give what you hold."""
    codename = _resolve_permission(perm)
    target = _grant_target(user, group)
    _require(actor, "share_article", article, "manage access to")
    _require(actor, codename, article, f"grant “{perm}” on")
    with transaction.atomic():
        assign_perm(codename, target, article)
        audit_record(
            action=AuditEvent.Action.GRANT,
            actor=actor,
            article=article,
            detail=_grant_detail(perm, user, group),
        )


def access_revoke(*, actor, article: Article, perm: str, user=None, group: Group | None = None):
    """Take one permission on one article away; it takes effect on the next request.

    Taking ``view`` or ``share`` also ends, durably, the share links of this article issued by the
    people who thereby lose it (the user, or the group's members without it from elsewhere).
    """
    codename = _resolve_permission(perm)
    target = _grant_target(user, group)
    _require(actor, "share_article", article, "manage access to")
    with transaction.atomic():
        remove_perm(codename, target, article)
        audit_record(
            action=AuditEvent.Action.REVOKE,
            actor=actor,
            article=article,
            detail=_grant_detail(perm, user, group),
        )
        if codename in LINK_CREATOR_PERMISSIONS:
            creators = [user] if user is not None else group.user_set.all()
            preview_links_end_where_creator_lost_access(
                actor=actor, article=article, creators=creators
            )


# --- preview links --------------------------------------------------------------------------------


def preview_token(link: PreviewLink) -> str:
    """The signed token a share URL carries; tampering with any character invalidates it."""
    return signing.Signer(salt=PREVIEW_SALT).sign(link.key)


def _require_sharer(actor, article: Article, doing: str) -> None:
    """Sharing needs ``share`` and ``view``: a link works only while its creator holds both."""
    _require(actor, "share_article", article, doing)
    _require(actor, "view_article", article, doing)


def preview_link_issue(
    *, actor, article: Article, label: str, ttl: timedelta | None = None
) -> tuple[PreviewLink, str]:
    """Issue an expiring share link to ``article``'s current revision. Returns the link and its token.

    The link shares that revision only: later drafts need ``preview_link_update``.
    """
    _require_sharer(actor, article, "share")
    ttl = settings.EMBARGO_PREVIEW_TTL if ttl is None else ttl
    if ttl <= timedelta(0):
        raise ValidationError("The link must expire in the future.")
    if ttl > settings.EMBARGO_PREVIEW_MAX_TTL:
        raise ValidationError(
            f"Preview links may last at most {settings.EMBARGO_PREVIEW_MAX_TTL}; "
            f"{ttl} was asked for (EMBARGO_PREVIEW_MAX_TTL)."
        )
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "Say who the link is for, e.g. “Legal review”."})
    with transaction.atomic():
        # The revision current now, not the one on the caller's possibly stale copy.
        current = Article.objects.select_for_update().get(pk=article.pk).latest_revision
        if current is None:
            raise ValidationError(f"“{article.slug}” has no content to share.")
        link = PreviewLink(
            article=article,
            revision=current,
            label=label,
            created_by=person(actor),
            issued_by_shell=is_system(actor),
            expires_at=timezone.now() + ttl,
        )
        link.full_clean(exclude=["article", "revision", "created_by"])
        link.save()
        audit_record(
            action=AuditEvent.Action.PREVIEW_ISSUE,
            actor=actor,
            article=article,
            preview_link=link,
            detail={
                "link": link.pk,
                "label": label,
                "revision": current.number,
                "expires_at": link.expires_at.isoformat(),
            },
        )
    return link, preview_token(link)


def preview_link_update(*, actor, link: PreviewLink) -> PreviewLink:
    """Make a live share link show its article's current draft from the next request."""
    article = link.article
    _require_sharer(actor, article, "update preview links of")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk).latest_revision
        locked = PreviewLink.objects.live().select_for_update(of=("self",)).filter(pk=link.pk)
        locked = locked.first()
        if locked is None:
            raise ValidationError(
                f"The link for “{link.label}” no longer works; issue a new one instead."
            )
        if locked.revision_id == current.pk:
            raise ValidationError(
                f"The link for “{link.label}” already shows the current draft "
                f"(revision {current.number})."
            )
        previous = locked.revision.number
        PreviewLink.objects.filter(pk=link.pk).update(revision=current)
        link.refresh_from_db()
        audit_record(
            action=AuditEvent.Action.PREVIEW_UPDATE,
            actor=actor,
            preview_link=link,
            article=article,
            detail={
                "link": link.pk,
                "label": link.label,
                "from_revision": previous,
                "revision": current.number,
            },
        )
    return link


def _revoked_by(actor) -> str:
    return "revoked from the shell" if is_system(actor) else f"revoked by {actor.get_username()}"


def preview_link_revoke(*, actor, link: PreviewLink) -> PreviewLink:
    """Stop one share link working, from the next request."""
    _require(actor, "share_article", link.article, "revoke preview links of")
    with transaction.atomic():
        PreviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=_revoked_by(actor)
        )
        marks.marked_copies_delete(links=[link.pk])
        link.refresh_from_db()
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            preview_link=link,
            article=link.article,
            detail={"link": link.pk, "label": link.label},
        )
    return link


def preview_links_revoke_all(*, actor, article: Article) -> int:
    """Stop every share link of ``article`` working. Returns how many were live."""
    _require(actor, "share_article", article, "revoke preview links of")
    with transaction.atomic():
        count = article.preview_links.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=_revoked_by(actor)
        )
        marks.marked_copies_delete(links=article.preview_links.values("pk"))
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            article=article,
            detail={"all": True, "count": count},
        )
    return count


def preview_links_end_where_creator_lost_access(
    *, actor, article: Article | None = None, creators: Iterable | None = None
) -> list[PreviewLink]:
    """Durably end the unrevoked links (of ``article``, by ``creators``) whose creator lost access.

    The access rule already refuses them at serve time; this records it, so a later grant or
    reactivation does not bring them back. Called inside the change that took the access away
    (``access_revoke``; a deactivation calls it with ``creators=[user]``). One audit event per article.
    """
    links = PreviewLink.objects.with_state().filter(revoked_at__isnull=True, issued_by_shell=False)
    if article is not None:
        links = links.filter(article=article)
    if creators is not None:
        links = links.filter(created_by__in=creators)
    now = timezone.now()
    ended: dict[int, list[PreviewLink]] = {}
    for link in links.filter(
        Q(creator_active=False) | Q(creator_may_view=False) | Q(creator_may_share=False)
    ).select_related("article"):
        reason = _lost_access_reason(link)
        PreviewLink.objects.filter(pk=link.pk).update(revoked_at=now, revoked_reason=reason)
        link.revoked_at, link.revoked_reason = now, reason
        ended.setdefault(link.article_id, []).append(link)
    marks.marked_copies_delete(links=[link.pk for found in ended.values() for link in found])
    for article_links in ended.values():
        audit_record(
            action=AuditEvent.Action.PREVIEW_REVOKE,
            actor=actor,
            article=article_links[0].article,
            detail={
                "links": [link.pk for link in article_links],
                "reasons": {str(link.pk): link.revoked_reason for link in article_links},
            },
        )
    return [link for article_links in ended.values() for link in article_links]


def _lost_access_reason(link: PreviewLink) -> str:
    if not link.creator_active:
        return "its creator's account was deactivated"
    lost = [
        name
        for name, held in (("view", link.creator_may_view), ("share", link.creator_may_share))
        if not held
    ]
    return f"its creator lost {' and '.join(lost)} on this article"
