from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles import access, publishing
from articles.access import SYSTEM
from articles.management.commands._shared import (
    article_named,
    user_or_group,
)


class Command(BaseCommand):
    """Give a user or group one permission on one article.

    Example: python manage.py grant view mythos-follow-up-audit --group "Early access"
    """

    help = "Grant PERM (view, change, publish, share) on SLUG to --user NAME or --group NAME."
    service = staticmethod(publishing.access_grant)
    done = "Granted {perm} on {slug} to {target}."

    def add_arguments(self, parser):
        parser.add_argument("perm", metavar="PERM", choices=list(access.PERMISSIONS))
        parser.add_argument("slug", metavar="SLUG")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--user", metavar="NAME")
        target.add_argument("--group", metavar="NAME")

    def handle(self, *args, perm: str, slug: str, user: str | None, group: str | None, **options):
        article = article_named(slug)
        target = user_or_group(user=user, group=group)
        try:
            self.service(actor=SYSTEM, article=article, perm=perm, **target)
        except ValidationError as error:
            raise CommandError(publishing.refusal_message(error)) from None
        kind, value = next(iter(target.items()))
        self.stdout.write(self.done.format(perm=perm, slug=slug, target=f"{kind} {value}"))
