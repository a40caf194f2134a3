from django.core.management.base import BaseCommand

from articles.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    """Load the demo newsroom: the published Mythos story and an embargoed follow-up.

    Example: python manage.py load_demo
    Safe to run again: existing demo content is left as it is.
    """

    help = "Create the published Mythos story and an embargoed draft only early access can read."

    def handle(self, *args, **options):
        result = load_demo()
        for line in result.created:
            self.stdout.write(f"created {line}")
        if not result.created:
            self.stdout.write("Demo content already present; nothing changed.")
        elif any(line.startswith("user ") for line in result.created):
            from django.conf import settings

            if settings.ENVIRONMENT == "development":
                self.stdout.write(
                    f"Demo users 'editor' and 'early-reader' have the password {DEMO_PASSWORD!r} "
                    "(development only)."
                )
