from django.core.management.base import BaseCommand

from articles.roles import ROLES, setup_roles


class Command(BaseCommand):
    """Create or repair the role groups (Authors, Editors, Publishers, Early access, Access administrators).

    Example: python manage.py setup_roles
    Idempotent: running it again only restores missing permissions.
    """

    help = "Create or repair the editorial role groups and their global permissions."

    def handle(self, *args, **options):
        created = setup_roles()
        for name in ROLES:
            state = "created" if name in created else "up to date"
            self.stdout.write(f"{name}: {state}")
