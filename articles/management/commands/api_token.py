from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles.api import tokens
from articles.management.commands._shared import parse_duration
from articles.models import ApiToken


class Command(BaseCommand):
    """Create, list and revoke personal, read-only API tokens.

    Example: python manage.py api_token create alice --expires 30d --label "Build server"
             python manage.py api_token list [alice]
             python manage.py api_token revoke 7
    The secret is printed once, on stdout; only its hash is kept.
    """

    help = "Create (prints the secret once), list or revoke personal API tokens."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="A new token for USER.")
        create.add_argument("username", metavar="USER")
        create.add_argument("--expires", metavar="DURATION", help="e.g. 12h, 30d, 8w.")
        create.add_argument("--label", default="", help="What the token is for.")
        listing = commands.add_parser("list", help="Tokens (of USER).")
        listing.add_argument("username", metavar="USER", nargs="?")
        revoke = commands.add_parser("revoke", help="Stop token ID working.")
        revoke.add_argument("token_id", metavar="ID", type=int)

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"USER: there is no user “{username}”.")
        return user

    def _create(self, *, username: str, expires: str | None, label: str, **options):
        owner = self._user(username)
        expires_at = timezone.now() + parse_duration(expires, "--expires") if expires else None
        try:
            token, secret = tokens.api_token_create(owner=owner, label=label, expires_at=expires_at)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(secret)
        until = expires_at.isoformat(timespec="minutes") if expires_at else "never"
        self.stderr.write(f"Token #{token.pk} for “{username}” expires {until}; shown only once.")

    def _list(self, *, username: str | None, **options):
        rows = ApiToken.objects.select_related("owner")
        if username:
            rows = rows.filter(owner=self._user(username))
        live = set(tokens.live_tokens().values_list("pk", flat=True))
        for token in rows:
            state = "live" if token.pk in live else "dead"
            expires = (
                token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
            )
            used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "-"
            self.stdout.write(
                f"#{token.pk}\t{token.owner.get_username()}\t{token.prefix}…\t{state}\t"
                f"expires {expires}\tlast used {used}\t{token.label}"
            )

    def _revoke(self, *, token_id: int, **options):
        token = ApiToken.objects.filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"ID: there is no token #{token_id}.")
        tokens.api_token_revoke(token=token)
        self.stdout.write(f"Token #{token.pk} revoked.")
