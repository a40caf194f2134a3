import json
from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.management.commands._shared import article_named, parse_when
from articles.models import AuditEvent


class Command(BaseCommand):
    """Print the audit trail, oldest first: who did or saw what, through which route, and when.

    Example: python manage.py audit_log --article mythos-follow-up-audit --since 2026-03-26 --json
    """

    help = "Print AuditEvents, optionally for one article (--article) and from a date (--since)."

    def add_arguments(self, parser):
        parser.add_argument("--article", metavar="SLUG")
        parser.add_argument("--since", metavar="DATE", help="ISO 8601 date or time.")
        parser.add_argument("--json", action="store_true", help="One JSON array.")

    def handle(self, *args, article: str | None, since: str | None, **options):
        events = AuditEvent.objects.order_by("at", "id")
        if article:
            events = events.filter(article=article_named(article))
        if since:
            events = events.filter(at__gte=parse_when(since, "--since"))
        rows = [
            {
                "at": event.at.isoformat(),
                "action": event.action,
                "actor": event.actor_name,
                "article": event.article_slug,
                # Whose account or which group a change to people was made to.
                "target": event.target_name,
                "asset": event.asset_id,
                "route": event.route,
                "detail": event.detail,
            }
            for event in events.iterator()
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for row in rows:
            when = timezone.localtime(datetime.fromisoformat(row["at"]))
            detail = _describe(row["detail"])
            self.stdout.write(
                "  ".join(
                    part
                    for part in (
                        when.strftime("%Y-%m-%d %H:%M:%S %Z"),
                        row["actor"],
                        row["action"],
                        row["article"],
                        row["target"] and f"to {row['target']}",
                        row["route"],
                        detail,
                    )
                    if part
                )
            )
        self.stdout.write(f"{len(rows)} event{'s' if len(rows) != 1 else ''}.")


def _describe(detail: dict) -> str:
    """``key=value`` pairs; a change to people as ``field: before → after``."""
    if {"field", "before", "after"} <= detail.keys():
        return f"{detail['field']}: {detail['before']} → {detail['after']}"
    return " ".join(f"{k}={v}" for k, v in detail.items())
