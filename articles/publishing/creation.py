"""A new article, whose slug must not tell an author which hidden articles exist.

A taken slug is refused in the same words whoever owns it, and only after everything else was
accepted; the attempt is recorded on the existing article's trail.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from guardian.shortcuts import assign_perm

from articles import featured
from articles.access.policy import CREATOR_PERMISSIONS, Actor, is_system, person, require_permission
from articles.models import Article, AuditEvent, Revision
from articles.publishing.audit import audit_event, audit_record, audit_record_all
from articles.publishing.files import _store_files, discard_files_on_failure
from articles.publishing.revisions import RevisionContent, _checked_revision, _create_revision
from articles.publishing.tags import check_tag_names, tags_from_names

SLUG_UNAVAILABLE = "This slug is not available; choose another."


def _slug_unavailable() -> ValidationError:
    return ValidationError({"slug": SLUG_UNAVAILABLE}, code="slug_unavailable")


def _refuse_taken_slug(*, actor: Actor, slug: str, article: Article) -> NoReturn:
    """Refuse a taken slug in the same words whoever owns it, and record the attempt.

    "Already exists" would tell an author which hidden slugs exist. The event is on the existing
    article, so its own people see the attempt and the one who tried does not.
    """
    # Everything else was valid: the create would have gone through. Rolled back, but recorded.
    article.slug = slug
    existing = Article.objects.filter(slug=slug).first()
    if existing is not None:
        audit_record(
            action=AuditEvent.Action.SLUG_REFUSED,
            actor=actor,
            article=existing,
            detail={"slug": slug},
        )
    raise _slug_unavailable() from None


def article_create(
    *,
    actor: Actor,
    slug: str,
    title: str,
    summary: str = "",
    body: str = "",
    tags: Sequence[str] = (),
    files: Iterable[tuple[str, object]] = (),
    author: User | None = None,
    featured_image_name: str | None = None,
) -> Article:
    """Create a private draft with its first revision; its creator may view, change and share it.

    Whether the slug is taken is asked last, once everything else (text, tags, files) was accepted:
    otherwise an invalid submission would tell, for free and without a trace, whether a hidden slug
    exists. Until then the row carries a placeholder slug no real one can equal (see validate_slug).

    ``featured_image_name``: which of ``files`` (an image) is the article's featured image.
    """
    require_permission(actor, "add_article", None, "create articles")
    slug = slug.strip()
    article = Article(slug=slug, author=author or person(actor))
    # Not the model's "Article with this Slug already exists.": see _refuse_taken_slug.
    article.full_clean(exclude=["live_revision", "latest_revision"], validate_unique=False)
    content = RevisionContent(title=title, summary=summary, body=body, tags=tags)
    try:
        with discard_files_on_failure(), transaction.atomic():
            article.slug = f"~creating-{secrets.token_hex(12)}"
            article.save()
            _create_first_revision(article, actor, content, files, featured_image_name)
            _claim_slug(article, slug)
            _grant_creator(actor, article)
            audit_record(action=AuditEvent.Action.CREATE, actor=actor, article=article)
    except _SlugTaken:
        _refuse_taken_slug(actor=actor, slug=slug, article=article)
    return article


class _SlugTaken(Exception):
    """Raised inside ``article_create``'s transaction to roll it back when the slug is taken."""


def _claim_slug(article: Article, slug: str) -> None:
    """Give the row its slug and its first revision in one write; a taken slug is refused.

    The unique constraint is the check: asking first would cost a query and still leave the race.
    """
    try:
        with transaction.atomic():
            Article.objects.filter(pk=article.pk).update(
                slug=slug, latest_revision=article.latest_revision
            )
    except IntegrityError:
        raise _SlugTaken from None
    article.slug = slug


def _create_first_revision(
    article: Article,
    actor: Actor,
    content: RevisionContent,
    files: Iterable[tuple[str, object]],
    featured_image_name: str | None,
) -> None:
    """The files stored, and the first revision saying ``content`` with them."""
    assets = _store_files(article=article, actor=actor, files=files)
    chosen = featured.named(featured_image_name, assets)
    with_files = replace(content, assets=assets, featured_image=chosen, featured_explicit=True)
    # first: stored as the working draft with the slug, in one write (``_claim_slug``).
    _create_revision(article=article, actor=actor, content=with_files, first=True)


def _grant_creator(actor: Actor, article: Article) -> None:
    """The creator may view, change and share what they made (the shell needs no grant)."""
    if not is_system(actor):
        for codename in CREATOR_PERMISSIONS:
            assign_perm(codename, actor, article)


@dataclass(frozen=True)
class CheckedArticle:
    """A new article and its first revision as ``article_create`` would store them, unsaved."""

    article: Article
    revision: Revision
    tags: Sequence[str]


def article_checked(
    *,
    actor: Actor,
    slug: str,
    title: str,
    summary: str = "",
    body: str = "",
    tags: Sequence[str] = (),
    author: User | None = None,
) -> CheckedArticle:
    """Check and render a new article without files for ``articles_create``; nothing is written.

    Raises the ValidationError ``article_create`` would, except for a taken slug: the batch's
    write refuses that (the unique constraint), and the caller asks first which slugs are taken.
    """
    require_permission(actor, "add_article", None, "create articles")
    article = Article(slug=slug.strip(), author=author or person(actor))
    article.full_clean(exclude=["live_revision", "latest_revision"], validate_unique=False)
    content = RevisionContent(title=title, summary=summary, body=body, tags=tags)
    revision, _assets = _checked_revision(article, actor, content, 1)
    check_tag_names(tags)
    return CheckedArticle(article=article, revision=revision, tags=tags)


def articles_create(*, actor: Actor, checked: Sequence[CheckedArticle]) -> list[Article]:
    """Store the articles of ``article_checked`` in one transaction, each as ``article_create``
    would: its first revision as the working draft, its tags, its creator's grants, its CREATE
    event. A taken slug raises IntegrityError and nothing is stored."""
    with transaction.atomic():
        articles = Article.objects.bulk_create([new.article for new in checked])
        for new in checked:
            new.revision.article = new.article  # now that it has a primary key
        Revision.objects.bulk_create([new.revision for new in checked])
        for new in checked:
            new.article.latest_revision = new.revision
        # Each has one revision: one statement sets them all, without a CASE per row.
        Article.objects.filter(pk__in=[article.pk for article in articles]).update(
            latest_revision=Subquery(
                Revision.objects.filter(article=OuterRef("pk")).order_by().values("pk")[:1]
            )
        )
        tag_ids = _tag_ids(dict.fromkeys(str(name) for new in checked for name in new.tags), actor)
        tagging = Revision.tags.through
        tagging.objects.bulk_create(
            [
                tagging(revision_id=new.revision.pk, tag_id=tag_id)
                for new in checked
                # One row per tag: two spellings of one slug name the same tag.
                for tag_id in dict.fromkeys(
                    tag_ids[str(name)] for name in new.tags if str(name) in tag_ids
                )
            ]
        )
        for article in articles:
            _grant_creator(actor, article)
        audit_record_all(
            [
                audit_event(action=AuditEvent.Action.CREATE, actor=actor, article=article)
                for article in articles
            ]
        )
    return articles


def _tag_ids(names: Iterable[str], actor: Actor) -> dict[str, int]:
    """The tag each name stands for (a blank name stands for none), each looked up once.

    ``tags_from_names`` remembers a tag it makes only once its transaction commits; asked per
    article, a batch's new tag would be read again for every article that names it.
    """
    ids: dict[str, int] = {}
    for name in names:
        for tag in tags_from_names([name], actor=actor):
            ids[name] = tag.pk
    return ids
