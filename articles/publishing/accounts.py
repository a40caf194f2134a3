"""Accounts made in the admin: the person is created by Django's form, the record of it here.

A new account holds nothing yet (status, groups and permissions go through ``people``, audited
on their own), but who created which login, and when, belongs in the trail all the same.
"""

from django.contrib.auth.models import User
from django.db import transaction

from articles.access.policy import Actor
from articles.models import AuditEvent
from articles.publishing.audit import audit_record


def account_created(*, actor: Actor, user: User) -> AuditEvent:
    """Record that ``actor`` created ``user``'s account; call it in the transaction that saved it."""
    with transaction.atomic():
        return audit_record(
            action=AuditEvent.Action.ACCOUNT_CREATE,
            actor=actor,
            target_user=user,
            detail={"user": user.get_username(), "user_id": user.pk},
        )
