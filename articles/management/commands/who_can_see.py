import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from articles.access import Audience, Holder, who_can_see
from articles.management.commands._shared import article_named


def holder_as_dict(holder: Holder) -> dict:
    """One holder as plain JSON-ready data."""
    return {
        "kind": holder.kind,
        "name": holder.name,
        "perms": list(holder.perms),
        "scope": holder.scope,
        **({"members": list(holder.members)} if holder.kind == "group" else {}),
    }


def audience_as_dict(audience: Audience) -> dict:
    """The audience as plain JSON-ready data."""
    return {
        "slug": audience.article.slug,
        "status": audience.article.status,
        "classification": audience.article.classification,
        "public": audience.is_public,
        "public_since": audience.public_since.isoformat() if audience.public_since else None,
        "holders": [holder_as_dict(holder) for holder in audience.holders],
        "dormant": [holder_as_dict(holder) for holder in audience.dormant],
        "preview_links": [
            {
                "id": link.pk,
                "label": link.label,
                "created_by": link.created_by.get_username() if link.created_by else None,
                "expires_at": link.expires_at.isoformat(),
                "revision": link.revision.number,
                "current_draft": link.revision_id == audience.article.latest_revision_id,
            }
            for link in audience.preview_links
        ],
        "api_tokens": [
            {"id": token.pk, "owner": token.owner.get_username(), "label": token.label}
            for token in audience.api_tokens
        ],
        "ended_links": [
            {
                "id": ended.link.pk,
                "label": ended.link.label,
                "created_by": ended.link.created_by.get_username()
                if ended.link.created_by
                else None,
                "reason": ended.reason,
            }
            for ended in audience.ended_links
        ],
    }


class Command(BaseCommand):
    """List who may see an article: users and groups (global or on it), share links, public.

    Share links that no longer work before they would expire (revoked, or their creator lost access)
    are listed apart, with the reason.

    Example: python manage.py who_can_see mythos-follow-up-audit --json
    """

    help = "Show the users, groups and live share links with access to SLUG, and if it is public."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, slug: str, json: bool = False, **options):
        audience = who_can_see(article_named(slug))
        if json:
            self.stdout.write(_dumps(audience_as_dict(audience)))
            return
        article = audience.article
        if audience.is_public:
            since = timezone.localtime(audience.public_since).isoformat(timespec="minutes")
            url = settings.EMBARGO_BASE_URL + reverse("article", args=[article.slug])
            self.stdout.write(f"{slug} [{article.classification}]: PUBLIC since {since} at {url}")
        else:
            state = article.get_status_display().lower()
            self.stdout.write(f"{slug} [{article.classification}]: not public ({state})")
        self.stdout.write("Users and groups:")
        for holder in audience.holders:
            members = (
                f" — members: {', '.join(holder.members) or 'none'}"
                if holder.kind == "group"
                else ""
            )
            self.stdout.write(
                f"  {holder.kind} {holder.name}: {', '.join(holder.perms)} ({holder.scope}){members}"
            )
        if not audience.holders:
            self.stdout.write("  none")
        if audience.dormant:
            self.stdout.write("Grants held by deactivated accounts (back if reactivated):")
            for holder in audience.dormant:
                self.stdout.write(f"  user {holder.name}: {', '.join(holder.perms)}")
        self._write_links(audience)

    def _write_links(self, audience) -> None:
        article = audience.article
        self.stdout.write("Live share links:")
        for link in audience.preview_links:
            expires = timezone.localtime(link.expires_at).isoformat(timespec="minutes")
            current = " (current draft)" if link.revision_id == article.latest_revision_id else ""
            self.stdout.write(
                f"  #{link.pk} “{link.label}” until {expires}: revision {link.revision.number}{current}"
            )
        if not audience.preview_links:
            self.stdout.write("  none")
        self.stdout.write("Live API tokens (each reads what its owner may):")
        for token in audience.api_tokens:
            self.stdout.write(f"  #{token.pk} {token.prefix}… of {token.owner.get_username()}")
        if not audience.api_tokens:
            self.stdout.write("  none")
        if audience.ended_links:
            self.stdout.write("Share links ended before they expired:")
            for ended in audience.ended_links:
                self.stdout.write(f"  #{ended.link.pk} “{ended.link.label}”: {ended.reason}")


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
