from django.core.management.base import BaseCommand

from articles import publishing
from articles.access import SYSTEM
from articles.management.commands._shared import article_named, refused_by_database


class Command(BaseCommand):
    """Drop every cached public page now, in every server process.

    Example: python manage.py purge_cache                   # after a change made outside Embargo
             python manage.py purge_cache the-mythos-leak   # the same, naming the article concerned

    Publishing and withdrawing already do this in their own transaction; this is for operators who
    changed something by hand, or are in doubt. The page cache has one generation for the whole
    site, so every page goes either way; SLUG is checked and handed to the hook for caches outside
    the site (``articles.web.caching.public_pages_changed``), which nothing uses yet.
    """

    help = "Drop every cached public page now; SLUG names the article concerned (optional)."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG", nargs="?")

    def handle(self, *args, slug: str | None, **options):
        article = article_named(slug) if slug is not None else None
        with refused_by_database(slug or "purge_cache", "purge the page cache"):
            generation = publishing.page_cache_purge(actor=SYSTEM, article=article)
        concerning = f", {slug} included" if slug else ""
        self.stdout.write(
            f"Purged every cached public page{concerning} (page-cache generation {generation})."
        )
