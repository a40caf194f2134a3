from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import (
    article_named,
    parse_duration,
)


class Command(BaseCommand):
    """Issue an expiring share link to an article's current revision and print its absolute URL.

    Example: python manage.py preview_link mythos-follow-up-audit --expires 48h --label "Legal review"
    A link shows the revision it was issued for; ``--update ID`` moves link ID to the current draft:
             python manage.py preview_link mythos-follow-up-audit --update 7
    """

    help = "Print a new share URL for SLUG (expires after --expires, default EMBARGO_PREVIEW_TTL)."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--expires", metavar="DURATION", help="e.g. 30m, 72h, 7d.")
        parser.add_argument(
            "--label",
            help="Who it is for (required to issue): every copy the link serves carries it.",
        )
        parser.add_argument(
            "--update",
            metavar="ID",
            type=int,
            help="Make the existing link ID (see who_can_see) show the current draft instead.",
        )

    def handle(
        self,
        *args,
        slug: str,
        expires: str | None,
        label: str | None,
        update: int | None,
        **options,
    ):
        article = article_named(slug)
        if update is not None:
            self._update(article, update)
            return
        if label is None or not label.strip():
            raise CommandError(
                "--label: say who the link is for, e.g. --label “Legal review”; "
                "every copy it serves is marked with it."
            )
        ttl = parse_duration(expires, "--expires") if expires else None
        try:
            link, token = publishing.preview_link_issue(
                actor=SYSTEM, article=article, label=label, ttl=ttl
            )
        except ValidationError as error:
            raise CommandError(publishing.refusal_message(error)) from None
        except OverflowError:  # a date past the year 9999, before the longest-link check
            raise CommandError(f"--expires: “{expires}” is too long a duration.") from None
        self.stdout.write(settings.EMBARGO_BASE_URL + reverse("preview", args=[token]))
        expires_at = timezone.localtime(link.expires_at).isoformat(timespec="minutes")
        self.stderr.write(f"Link #{link.pk} “{link.label}” expires {expires_at}.")

    def _update(self, article, link_id: int) -> None:
        link = article.preview_links.filter(pk=link_id).first()
        if link is None:
            raise CommandError(f"--update: “{article.slug}” has no share link #{link_id}.")
        try:
            link = publishing.preview_link_update(actor=SYSTEM, link=link)
        except ValidationError as error:
            raise CommandError(publishing.refusal_message(error)) from None
        self.stdout.write(
            f"Link #{link.pk} “{link.label}” now shows revision {link.revision.number}, "
            "the current draft."
        )
