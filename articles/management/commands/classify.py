from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.management.commands._shared import article_named, person_named
from articles.models import Approval, Classification
from articles.publishing import approvals, classification, refusal_message


class Command(BaseCommand):
    """Change an article's classification as a named publisher; lowering needs a second one.

    Example: python manage.py classify mythos-follow-up-audit restricted --user ada
    Raising applies at once. Lowering files a request that another publisher approves:
             python manage.py classify mythos-follow-up-audit standard --user ada
             python manage.py classify mythos-follow-up-audit --approve --user bob
    """

    help = "Set SLUG's classification to LEVEL as --user NAME, or --approve a pending lowering."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument(
            "level", metavar="LEVEL", nargs="?", help=", ".join(Classification.values)
        )
        parser.add_argument("--user", metavar="NAME", required=True, help="The publisher acting.")
        parser.add_argument(
            "--approve", action="store_true", help="Approve the lowering another publisher asked."
        )

    def handle(self, *args, slug: str, level: str | None, user: str, approve: bool, **options):
        article = article_named(slug)
        actor = person_named(user)
        if approve == (level is not None):
            raise CommandError("Give either LEVEL or --approve (to approve a pending lowering).")
        try:
            if level is None:  # so --approve, as checked above
                self._approve(article, actor)
            elif classification.is_lowering(article, classification.parse(level)):
                approval = approvals.approval_request_lowering(
                    actor=actor, article=article, classification_name=level
                )
                self.stdout.write(
                    f"Asked to lower {slug} [{article.classification}] to "
                    f"{approval.classification}; another publisher approves it: "
                    f"manage.py classify {slug} --approve --user NAME"
                )
            else:
                old = article.classification
                classification.article_classify(actor=actor, article=article, classification=level)
                self.stdout.write(f"{slug}: classification {old} → {article.classification}.")
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(f"{slug}: {refusal_message(error)}") from None

    def _approve(self, article, actor) -> None:
        pending = article.approvals.filter(kind=Approval.Kind.LOWERING, ended_at__isnull=True)
        request = pending.first()
        if request is None:
            raise CommandError(f"{article.slug}: no lowering of its classification was asked for.")
        old = article.classification
        approvals.approval_give(actor=actor, approval=request)
        article.refresh_from_db()
        asker = classification.username_or_deleted(request.requested_by)
        self.stdout.write(
            f"{article.slug}: classification {old} → {article.classification}, asked by "
            f"{asker}, approved by {actor.get_username()}."
        )
