"""Signed webhooks: queued with the visibility change, signed, retried, and public-only.

A receiver on loopback (``tests.processes.LoopbackReceiver``) records each delivery; every one the
tests read is checked against its signature.
"""

import hashlib
import hmac
import ipaddress
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.access import SYSTEM
from articles.api import webhooks
from articles.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import make_article
from tests.processes import LoopbackReceiver

SECRET = "whsec-test-secret"
DRAFT_WORDS = "Unreleased merger terms"
TASK_PATH = "articles.api.webhooks.deliver"


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings):
    """The receiver below listens on 127.0.0.1, which webhooks reach only when an operator allows
    it (articles/api/destinations.py; tests/test_webhook_destinations.py shows the refusals)."""
    settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS = (ipaddress.ip_network("127.0.0.1/32"),)


def verified_payloads(receiver: LoopbackReceiver) -> list[dict]:
    """The payloads ``receiver`` was sent, each checked against its signature first."""
    payloads = []
    for request in receiver.requests:
        fields = dict(p.split("=", 1) for p in request.headers["Embargo-Signature"].split(","))
        expected = hmac.new(
            SECRET.encode(), f"{fields['t']}.".encode() + request.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(expected, fields["v1"]), "a delivery's signature does not verify"
        payloads.append(json.loads(request.body))
    return payloads


@pytest.fixture
def receiver():
    with LoopbackReceiver() as running:
        yield running


def endpoint_for(receiver, events=("published", "updated", "withdrawn")) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=receiver.url, secret=SECRET, events=list(events))


def deliver_all() -> None:
    for delivery in WebhookDelivery.objects.filter(
        delivered_at__isnull=True, gave_up=False
    ).order_by("pk"):
        webhooks.deliver.call(delivery.pk)


def test_a_delivery_is_signed_and_verifiable(db, receiver):
    endpoint_for(receiver)
    article = make_article("quiet-harbour")
    publishing.article_publish(actor=SYSTEM, article=article)
    deliver_all()
    (payload,) = verified_payloads(receiver)
    assert payload["event"] == "published"
    assert payload["article"]["title"] == article.latest_revision.title
    assert WebhookAttempt.objects.get().status_code == 200


def test_a_tampered_body_does_not_verify():
    signature = webhooks.sign(SECRET, 1_700_000_000, b'{"a":1}')
    fields = dict(p.split("=", 1) for p in signature.split(","))
    tampered = hmac.new(SECRET.encode(), b'1700000000.{"a":2}', hashlib.sha256).hexdigest()
    assert fields["t"] == "1700000000" and fields["v1"] != tampered


def test_a_failed_delivery_is_retried_with_back_off(db):
    with LoopbackReceiver([500]) as receiver:
        endpoint_for(receiver)
        publishing.article_publish(actor=SYSTEM, article=make_article("quiet-harbour"))
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver.call(delivery.pk) == 500
        retry = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").latest("pk")
        assert retry.run_after >= timezone.now() + timedelta(seconds=25)
        assert webhooks.deliver.call(delivery.pk) == 200
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 2
    assert list(delivery.tries.values_list("status_code", flat=True)) == [500, 200]


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_queued_deliveries_after_commit(receiver):
    endpoint_for(receiver)
    publishing.article_publish(actor=SYSTEM, article=make_article("quiet-harbour"))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [event["event"] for event in verified_payloads(receiver)] == ["published"]


def test_no_payload_ever_carries_draft_content(db, receiver):
    """Publish, edit a draft, publish it (updated), edit again, withdraw: only the public leaves."""
    endpoint_for(receiver)
    article = make_article("quiet-harbour")
    publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_update(
        actor=SYSTEM, article=article, title="Second", body="New public text."
    )
    publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_update(actor=SYSTEM, article=article, title=DRAFT_WORDS, body=DRAFT_WORDS)
    publishing.article_withdraw(actor=SYSTEM, article=article)
    deliver_all()
    received = verified_payloads(receiver)
    assert [event["event"] for event in received] == ["published", "updated", "withdrawn"]
    assert received[1]["article"]["title"] == "Second"
    assert set(received[2]) == {"event", "occurred_at", "url", "slug"}
    assert all(DRAFT_WORDS not in request.body.decode() for request in receiver.requests)


def test_an_endpoint_gets_only_the_events_it_asked_for(db, receiver):
    endpoint_for(receiver, events=["withdrawn"])
    article = make_article("quiet-harbour")
    publishing.article_publish(actor=SYSTEM, article=article)
    publishing.article_withdraw(actor=SYSTEM, article=article)
    deliver_all()
    assert [event["event"] for event in verified_payloads(receiver)] == ["withdrawn"]


def test_changes_that_publish_nothing_send_nothing(db, receiver):
    endpoint_for(receiver)
    article = make_article("quiet-harbour")
    publishing.article_update(actor=SYSTEM, article=article, title=DRAFT_WORDS)
    publishing.article_submit(actor=SYSTEM, article=article)
    assert not WebhookDelivery.objects.exists()
