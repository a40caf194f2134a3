"""Signed webhooks: an outbox row per endpoint, written in the transaction of the visibility change.

Each delivery is a ``WebhookDelivery`` row plus a task (django-tasks-db: also a row in the same
database), so both commit with the change or not at all, and no worker sees them before the commit.
The payload is what is public *after* the event: a withdrawal names the URL to drop and nothing else.

Only to public addresses (``destinations``: checked on save and at every delivery, on the address
connected to; no redirects followed). Signature (as Stripe's): ``Embargo-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "t.body")>``.
"""

import hashlib
import hmac
import http.client
import json
import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from articles.api import destinations
from articles.models import Article, WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "Embargo-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Embargo-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempt: int) -> timedelta:
    """Wait before try ``attempt + 1``: 30 s, 1 min, 2 min, … at most an hour."""
    return timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))


def _url(path: str) -> str:
    return settings.EMBARGO_BASE_URL.rstrip("/") + path


def public_payload(event: str, article: Article) -> dict:
    """What the receiver may know after ``event``: the live revision, or only the URL to drop."""
    data: dict[str, object] = {
        "event": event,
        # Deliveries may arrive out of order (retries): receivers keep the latest per slug.
        "occurred_at": timezone.now().isoformat(),
        "url": _url(article.get_absolute_url()),
        "slug": article.slug,
    }
    if event == WebhookEndpoint.Event.WITHDRAWN:
        return data
    live = article.live_revision
    if live is None or article.published_at is None:
        return data  # not public: nothing to tell but the URL
    data["article"] = {
        "title": live.title,
        "summary": live.summary,
        "published_at": article.published_at.isoformat(),
        "api_url": _url(f"/api/v1/articles/{article.slug}"),
    }
    return data


def visibility_changed(*, article: Article) -> None:
    """Queue a delivery per interested endpoint for a change the caller is committing."""
    visibility_changed_all(articles=[article])


def visibility_changed_all(*, articles: Sequence[Article]) -> None:
    """``visibility_changed`` for each of ``articles``, reading the endpoints once."""
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    if not endpoints:
        return  # one query when no endpoint is configured
    for changed in articles:
        article = (
            Article.objects.with_public_flag().select_related("live_revision").get(pk=changed.pk)
        )
        if article.is_public:
            first = article.published_at == article.updated_at
            event = WebhookEndpoint.Event.PUBLISHED if first else WebhookEndpoint.Event.UPDATED
        else:
            event = WebhookEndpoint.Event.WITHDRAWN
        payload = public_payload(event, article)
        for endpoint in endpoints:
            if event in endpoint.events:
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=event, payload=payload
                )
                deliver.enqueue(delivery.pk)


@task()
def deliver(delivery_id: int) -> int | None:
    """Send one delivery; on failure, try again later with back-off, up to ``MAX_ATTEMPTS``."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at is not None or delivery.gave_up:
        return None
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Embargo-Webhooks/1",
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, int(time.time()), body),
    }
    status, error = None, ""
    try:
        status = destinations.post(
            delivery.endpoint.url, body=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
    except (destinations.UnsafeDestination, OSError, http.client.HTTPException) as exc:
        error = str(exc)[:500]
    if status is not None and 300 <= status < 400:
        error = "redirect not followed: webhooks are sent to the configured URL only"
    WebhookAttempt.objects.create(delivery=delivery, status_code=status, error=error)
    delivery.attempts += 1
    if status is not None and 200 <= status < 300:
        delivery.delivered_at = timezone.now()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.gave_up = True
    else:
        deliver.using(run_after=timezone.now() + backoff(delivery.attempts)).enqueue(delivery.pk)
    delivery.save(update_fields=["attempts", "delivered_at", "gave_up"])
    return status
