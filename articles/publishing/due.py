"""The due run: publish the scheduled articles whose time came, withdraw those whose embargo ended.

``manage.py publish_scheduled`` and the worker's ``tasks.publish_due`` run it; it is idempotent, so
overlapping or missed runs publish nothing twice and catch up on the next one. Both halves ask the
public rule's time half (``access.embargo_open_q``), as the read path does.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from articles.access.policy import SYSTEM
from articles.access.rules import embargo_open_q
from articles.models import Article, Status
from articles.publishing import approvals
from articles.publishing.workflow import _transition, article_withdraw


def publish_due_articles(*, now: datetime | None = None) -> tuple[list[Article], list[Article]]:
    """Publish scheduled articles that are due and withdraw those whose embargo ended.

    Each article is handled in its own transaction under a row lock and re-checked inside it, so
    concurrent runs (cron overlapping itself) never publish one article twice.
    """
    now = now or timezone.now()
    published, withdrawn = [], []
    # An article whose whole window passed while cron was down is never published: publishing it
    # would be refused (embargo end in the past) and would stop the run for every article after it.
    is_due = Q(
        status=Status.SCHEDULED, publish_at__lte=now, scheduled_revision__isnull=False
    ) & embargo_open_q(now=now)
    due = Article.objects.filter(is_due).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            article = _lock_if(pk, is_due)
            if article is not None and not approvals.held_for_approval(article):
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
    has_ended = Q(status=Status.PUBLISHED) & ~embargo_open_q(now=now)
    expired = Article.objects.filter(has_ended).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            article = _lock_if(pk, has_ended)
            if article is not None:
                withdrawn.append(article_withdraw(actor=SYSTEM, article=article, now=now))
    return published, withdrawn


def _lock_if(pk: int, *conditions: Q, **lookups) -> Article | None:
    rows = Article.objects.filter(*conditions, pk=pk, **lookups)
    if transaction.get_connection().features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return rows.first()
