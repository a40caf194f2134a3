from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.management.commands._shared import article_named, person_named
from articles.models import Approval
from articles.publishing import approvals, classification, refusal_message


class Command(BaseCommand):
    """Two-person publish of a restricted article: one publisher asks, a second one approves.

    Example: python manage.py approve_publication mythos-follow-up-audit --request --user ada
             python manage.py approve_publication mythos-follow-up-audit --user bob
             python manage.py publish mythos-follow-up-audit
    The approval is for the working draft as it is now: an edit after it voids it. The approver may
    be neither the one who asked nor the draft's last editor.
    """

    help = "Approve publishing the restricted SLUG as --user NAME (--request: ask for approval)."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--user", metavar="NAME", required=True, help="The publisher acting.")
        parser.add_argument(
            "--request", action="store_true", help="Ask for approval of the working draft."
        )

    def handle(self, *args, slug: str, user: str, request: bool, **options):
        article = article_named(slug)
        actor = person_named(user)
        try:
            if request:
                approval = approvals.approval_request_publication(actor=actor, article=article)
                self.stdout.write(
                    f"{slug} [{article.classification}]: asked to publish revision "
                    f"{approval.requested_revision.number}; another publisher approves it: "
                    f"manage.py approve_publication {slug} --user NAME"
                )
                return
            pending = article.approvals.filter(
                kind=Approval.Kind.PUBLICATION, ended_at__isnull=True, approved_at__isnull=True
            ).first()
            if pending is None:
                raise CommandError(
                    f"{slug}: no publication is waiting for approval; ask with --request."
                )
            approvals.approval_give(actor=actor, approval=pending)
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(f"{slug}: {refusal_message(error)}") from None
        asker = classification.username_or_deleted(pending.requested_by)
        self.stdout.write(
            f"{slug} [{article.classification}]: revision {pending.requested_revision.number} approved by "
            f"{actor.get_username()} (asked by {asker}); manage.py publish {slug} publishes it."
        )
