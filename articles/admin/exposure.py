"""The Exposure page: what the recorded audits found, what is shared until when, and stale access.

For superusers and the Auditors role only. For anyone else every URL here is the admin's answer for
an address that does not exist: a staff member gets the one 404 (never a 403), and without a staff
login the admin's usual redirect to its login page. The views are marked ``no_append_slash`` so that
the address without its final slash is a 404 too, as for any unknown admin address, rather than the
redirect to this page that Django's catch-all would otherwise give away.

The one-click revokes confirm first (GET shows what will be revoked, POST does it) and go through
``publishing.access_revoke`` and ``publishing.preview_link_revoke``, which check the person's own
right to take access away (``access.auditing.may_take_away``) and write the audit trail.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.common import no_append_slash

from articles import access, publishing
from articles.access.auditing import may_read_exposure, stale_grant
from articles.exposure.dashboard import exposure_dashboard
from articles.models import Article, ExposureRun, PreviewLink


@admin.register(ExposureRun)
class ExposureAdmin(admin.ModelAdmin):
    """Not a list of rows: the model's admin entry is the Exposure page and its two confirmations."""

    def has_module_permission(self, request):
        return may_read_exposure(request.user)

    def has_view_permission(self, request, obj=None):
        return may_read_exposure(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def view(function, name: str, route: str):
            guarded = self.admin_site.admin_view(no_append_slash(function))
            return path(route, guarded, name=f"articles_exposurerun_{name}")

        return [
            view(self.dashboard_view, "changelist", ""),
            view(
                self.revoke_grant_view,
                "revoke_grant",
                "grants/<int:article_id>/<int:user_id>/<str:perm>/revoke/",
            ),
            view(self.revoke_link_view, "revoke_link", "links/<int:link_id>/revoke/"),
        ]

    def _require_reader(self, request) -> None:
        if not may_read_exposure(request.user):
            raise access.deny()

    def _render(self, request, template: str, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/articles/exposure/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "dashboard_url": reverse(f"{self.admin_site.name}:articles_exposurerun_changelist"),
                **context,
            },
        )

    def dashboard_view(self, request):
        self._require_reader(request)
        return self._render(
            request, "dashboard.html", "Exposure", dashboard=exposure_dashboard(request.user)
        )

    def _confirmed(self, request, service, done: str, **arguments):
        """POST: run the revoke as the person asking, then back to the page with what happened."""
        try:
            service(actor=request.user, **arguments)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:articles_exposurerun_changelist")
        )

    def revoke_grant_view(self, request, article_id: int, user_id: int, perm: str):
        """Confirm (GET) and take away (POST) one stale grant the page lists."""
        self._require_reader(request)
        grant = stale_grant(request.user, article_id=article_id, user_id=user_id, perm=perm)
        if grant is None:
            raise access.deny()
        who, slug = grant.user.get_username(), grant.article.slug
        if request.method == "POST":
            return self._confirmed(
                request,
                publishing.access_revoke,
                f"“{grant.perm}” on “{slug}” revoked from {who}.",
                article=grant.article,
                perm=grant.perm,
                user=grant.user,
            )
        return self._render(
            request,
            "revoke_confirm.html",
            "Revoke a stale grant",
            question=f"Take “{grant.perm}” on “{slug}” away from {who}?",
            consequence=(
                f"{who} has not signed in since {timezone.localtime(grant.last_seen):%Y-%m-%d}."
                if grant.last_seen
                else f"{who} has never signed in."
            ),
        )

    def revoke_link_view(self, request, link_id: int):
        """Confirm (GET) and revoke (POST) one share link the page lists."""
        self._require_reader(request)
        link = (
            PreviewLink.objects.filter(
                pk=link_id,
                revoked_at__isnull=True,
                article__in=Article.objects.granted_to(request.user),
            )
            .select_related("article")
            .first()
        )
        if link is None:
            raise access.deny()
        if request.method == "POST":
            return self._confirmed(
                request,
                publishing.preview_link_revoke,
                f"The link for “{link.label}” on “{link.article.slug}” no longer works.",
                link=link,
            )
        return self._render(
            request,
            "revoke_confirm.html",
            "Revoke a share link",
            question=f"Revoke the share link for “{link.label}” on “{link.article.slug}”?",
            consequence=(
                f"It expires {timezone.localtime(link.expires_at):%Y-%m-%d %H:%M %Z}; "
                "revoked, it stops working now."
            ),
        )
