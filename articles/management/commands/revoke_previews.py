from django.core.management.base import BaseCommand

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import article_named


class Command(BaseCommand):
    """Stop every share link of an article working, from the next request.

    Example: python manage.py revoke_previews mythos-follow-up-audit
    """

    help = "Revoke all live share links of SLUG."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")

    def handle(self, *args, slug: str, **options):
        count = publishing.preview_links_revoke_all(actor=SYSTEM, article=article_named(slug))
        self.stdout.write(f"Revoked {count} live share link{'s' if count != 1 else ''} of {slug}.")
