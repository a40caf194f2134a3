"""Security events as JSON lines on stderr (the ``embargo.security`` logger, see LOGGING).

A log sink is not trusted with what the site hides: unpublished slugs, share tokens and asset
tokens appear only as keyed hashes (HMAC with the secret key) that an operator can recompute for a
suspect value but a reader of the log cannot reverse. Two keys, never one: ``ref`` on a request's
404 is ``request_ref()``, ``article_ref`` on an audit event is ``audit_ref()``. With one key, a
404's ref equal to a grant's article_ref told that the slug asked for exists (hidden), where a
never-existing slug matches nothing; and publication, which names the slug, must not name a ref
that earlier events used, so publish and withdraw carry the slug and no ``article_ref``.

Events: ``read_denied`` and ``share_token_refused`` (every 404, counted per ``ref``; a hidden
article and one that never existed are logged alike, as they are answered alike), ``login_locked_out``,
and ``grant``, ``revoke``, ``preview_issue``, ``preview_revoke``, ``publish``, ``withdraw`` from the
audit trail once committed.
"""

import logging
from collections import OrderedDict

from axes.signals import user_locked_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from articles.models import AuditEvent

logger = logging.getLogger("embargo.security")

REQUEST_REF_SALT = "embargo.security-log.request"
AUDIT_REF_SALT = "embargo.security-log.audit"
# Kept per process, newest last; a scanner trying endless paths evicts the oldest, never grows it.
MAX_COUNTED_REFS = 10_000
_denials: OrderedDict[str, int] = OrderedDict()

AUDITED = {
    AuditEvent.Action.GRANT,
    AuditEvent.Action.REVOKE,
    AuditEvent.Action.PREVIEW_ISSUE,
    AuditEvent.Action.PREVIEW_REVOKE,
    AuditEvent.Action.PUBLISH,
    AuditEvent.Action.WITHDRAW,
}
# Published slugs are public already; naming them makes the log readable (without an article_ref).
NAMED = {AuditEvent.Action.PUBLISH, AuditEvent.Action.WITHDRAW}
PREVIEW_ROUTES = {"preview", "preview-asset"}


def request_ref(value: str) -> str:
    """The ``ref`` of a 404 that asked for ``value`` (a slug, token or path)."""
    return salted_hmac(REQUEST_REF_SALT, value, algorithm="sha256").hexdigest()[:16]


def audit_ref(slug: str) -> str:
    """The ``article_ref`` of an audit event about the article ``slug``; never equal to a ref."""
    return salted_hmac(AUDIT_REF_SALT, slug, algorithm="sha256").hexdigest()[:16]


def _count(ref: str) -> int:
    count = _denials.pop(ref, 0) + 1
    _denials[ref] = count
    if len(_denials) > MAX_COUNTED_REFS:
        _denials.popitem(last=False)
    return count


def read_denied(request: HttpRequest) -> None:
    """Log one 404 answer: the route, what was asked for (as a ref) and how often in this process."""
    match = request.resolver_match
    kwargs = match.kwargs if match is not None else {}
    asked = kwargs.get("slug") or kwargs.get("preview_token") or kwargs.get("token")
    route = match.view_name if match is not None else "unrouted"
    ref = request_ref(asked or request.path)
    logger.info(
        "share token refused" if route in PREVIEW_ROUTES else "read denied",
        extra={
            "event": "share_token_refused" if route in PREVIEW_ROUTES else "read_denied",
            "route": route,
            "method": request.method,
            "ref": ref,
            "count": _count(ref),
        },
    )


@receiver(user_locked_out)
def _log_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    logger.warning(
        "sign-in locked out",
        extra={"event": "login_locked_out", "username": username, "client": ip_address},
    )


@receiver(post_save, sender=AuditEvent)
def _log_audit_event(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    if not created or instance.action not in AUDITED:
        return
    extra: dict[str, str | None] = {"event": instance.action, "actor": instance.actor_name}
    if instance.action in NAMED:
        # The slug alone: beside an article_ref it would name the grants and previews before it.
        extra["slug"] = instance.article_slug
    else:
        extra["article_ref"] = audit_ref(instance.article_slug) if instance.article_slug else None
    for key in ("perm", "user", "group", "count"):
        if key in instance.detail:
            extra[key] = instance.detail[key]
    logger.info(instance.get_action_display(), extra=extra)
