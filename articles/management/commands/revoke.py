from articles import publishing
from articles.management.commands import grant


class Command(grant.Command):
    """Take one permission on one article away from a user or group.

    Example: python manage.py revoke view mythos-follow-up-audit --user early-reader
    """

    help = "Revoke PERM (view, change, publish, share) on SLUG from --user NAME or --group NAME."
    service = staticmethod(publishing.access_revoke)
    done = "Revoked {perm} on {slug} from {target}."
