from django.core.management.base import BaseCommand

from articles import orphans


class Command(BaseCommand):
    """List (or with --delete remove) stored files that no asset row refers to.

    Example: python manage.py gc_assets            # list them
             python manage.py gc_assets --delete   # and delete them
    Orphans are left when a failing store could not delete the files of a change it refused.
    """

    help = "List stored asset files no asset refers to; --delete removes them."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="Delete the orphaned files.")

    def handle(self, *args, delete: bool, **options):
        names = orphans.orphaned_files()
        for name in names:
            self.stdout.write(name)
        if delete:
            deleted = orphans.delete_orphans(names)
            self.stdout.write(f"Deleted {deleted} orphaned file{'s' if deleted != 1 else ''}.")
        else:
            count = len(names)
            self.stdout.write(
                f"{count} orphaned file{'s' if count != 1 else ''}"
                + ("; run with --delete to remove them." if count else ".")
            )
