"""Personal API tokens: created, looked up and revoked here; what they read is ``access``'s answer.

A token is ``emb_`` + 256 random bits. Only its SHA-256 is stored. It works while it is neither
revoked nor expired and its owner is active; what it reads is asked of ``access`` with the owner
as the user on every request, so a lost grant or a deactivation takes effect at once.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from articles.models import ApiToken

TOKEN_PREFIX = "emb_"  # noqa: S105  (a marker for secret scanners, not a secret)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, owner, label: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``owner`` and its secret, which is never stored and cannot be shown again."""
    if not owner.is_active:
        raise ValueError(f"“{owner.get_username()}” is deactivated: a token would never work.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        owner=owner, label=label, key_hash=_hash(secret), prefix=secret[:12], expires_at=expires_at
    )
    token.full_clean(exclude=["key_hash", "prefix"])
    with transaction.atomic():
        token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop ``token`` working, for good."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def live_tokens(now: datetime | None = None):
    """Tokens that work right now (not revoked, not expired, owner active)."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        revoked_at__isnull=True,
        owner__is_active=True,
    )


def token_for(secret: str) -> ApiToken | None:
    """The working token ``secret`` names, or None. One indexed query whatever the secret."""
    token = live_tokens().select_related("owner").filter(key_hash=_hash(secret)).first()
    if token is not None:
        now = timezone.now()
        # At most once a minute: a busy token should not write on every read.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
