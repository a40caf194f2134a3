"""The article's own admin pages: Access, Share links, Revisions, History and workflow confirmations.

Each page looks the article up through ``ArticleAdmin.get_object`` (the one 404 for an article the
user may not read unpublished), and each action is shown first and performed on a confirmed POST by
``_confirm_then`` (``page_base``), which calls a service and never writes itself.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from articles import access, publishing
from articles.admin.comparison import compare_revisions
from articles.admin.forms import (
    AccessForm,
    RevisionCompareForm,
    ScheduleForm,
    VersionForm,
    add_service_error,
)
from articles.admin.share_pages import SharePagesMixin
from articles.admin.workflow import PUBLISH_JOB_NOTE
from articles.models import Article, AuditEvent
from articles.roles import ROLE_DESCRIPTIONS

# What a reader did is in the audit trail; the History tab is what was done to the article.
READS = (AuditEvent.Action.VIEW, AuditEvent.Action.ASSET_VIEW, AuditEvent.Action.PREVIEW_USE)


class HiddenIsMissingMixin:
    """An object outside the user's queryset is the one 404, not Django's "doesn't exist" redirect."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise access.deny()
        return obj


class ArticlePagesMixin(SharePagesMixin):
    """The pages beside an article's change form, for ``ArticleAdmin``."""

    def article_page_urls(self) -> list:
        """The routes of these pages (``ArticleAdmin.get_urls`` puts them before Django's own)."""

        def view(function, suffix: str, route: str):
            return path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(function),
                name=f"articles_article_{suffix}",
            )

        return [
            view(self.access_view, "access", "access/"),
            view(self.transition_view, "transition", "transition/<str:action>/"),
            view(self.revisions_view, "revisions", "revisions/"),
            view(self.revert_view, "revert", "revisions/<int:number>/revert/"),
            view(self.share_view, "share", "share/"),
            view(self.share_revoke_view, "share_revoke", "share/<int:link_id>/revoke/"),
            view(self.share_revoke_all_view, "share_revoke_all", "share/revoke-all/"),
            view(self.share_update_view, "share_update", "share/<int:link_id>/update/"),
        ]

    # --- shared by the pages below ----------------------------------------------------------------

    def _audit_url(self, article: Article) -> str:
        changelist = reverse(f"{self.admin_site.name}:articles_auditevent_changelist")
        return f"{changelist}?{urlencode({'article__id__exact': article.pk})}"

    def _after_losing_access(self, request, article: Article) -> str:
        """Where someone goes after a change to access: the Access page while they may still share;
        else the article, saying why; else the list, if they took their own view away too."""
        if publishing.has_article_permission(request.user, "share_article", article):
            return self._url("access", article)
        if access.may_read_unpublished(request.user, article):
            messages.info(
                request,
                f"You no longer hold “share” on “{article.slug}”, so its Access and Share links "
                "pages are closed to you.",
            )
            return self._url("change", article)
        messages.info(request, f"You no longer hold “view” on “{article.slug}”.")
        return reverse(f"{self.admin_site.name}:articles_article_changelist")

    # --- access -----------------------------------------------------------------------------------

    def access_view(self, request, object_id: str):
        """Who can see the article; grant one permission, or revoke one after a confirmation."""
        article = self._article_to_share(request, object_id)
        form = AccessForm(request.POST if request.method == "POST" else None)
        if not (form.is_bound and form.is_valid()):
            return self._access_page(request, article, form)
        data = form.cleaned_data
        who = data["username"] or f"group {data['group']}"
        revoking = request.POST.get("do") == "revoke"
        if revoking and request.POST.get("confirmed") != "yes":
            # A revocation may end someone's work (and their share links): asked first.
            return self._render(
                request,
                "confirm.html",
                article,
                f"Revoke “{data['perm']}” on “{article.slug}”",
                question=f"Revoke “{data['perm']}” on “{article.slug}” from {who}?",
                consequence="Share links they issued for it stop working if they lose view or share.",
                button="Revoke",
                cancel_url=self._url("access", article),
                repost={
                    "do": "revoke",
                    **{key: data[key] for key in ("perm", "username", "group")},
                },
            )
        service = publishing.access_revoke if revoking else publishing.access_grant
        try:
            service(
                actor=request.user,
                article=article,
                perm=data["perm"],
                user=data["user_obj"],
                group=data["group_obj"],
            )
        except (ValidationError, PermissionDenied) as error:
            add_service_error(form, error)
            return self._access_page(request, article, form)
        done = "revoked from" if revoking else "granted to"
        messages.success(request, f"“{data['perm']}” {done} {who}.")
        return HttpResponseRedirect(self._after_losing_access(request, article))

    def _access_page(self, request, article: Article, form):
        return self._render(
            request,
            "access.html",
            article,
            f"Access to “{article.slug}”",
            form=form,
            audience=access.who_can_see(article),
            share_url=self._url("share", article),
            roles=ROLE_DESCRIPTIONS,
        )

    # --- workflow ---------------------------------------------------------------------------------

    def transition_view(self, request, object_id: str, action: str):
        """Confirm (GET) and perform (POST) one workflow transition the user may take."""
        article = self.get_object(request, unquote(object_id))
        if action not in publishing.TRANSITIONS:
            raise access.deny()
        label = publishing.TRANSITIONS[action].label
        service = publishing.TRANSITION_SERVICES[action]
        if action not in publishing.allowed_actions(actor=request.user, article=article):
            return self._back_to_change(
                request,
                article,
                PermissionDenied(f"“{label}” is not available to you for “{article.slug}” now."),
            )
        form = None
        if action == "schedule":
            shown = article.latest_revision.number if article.latest_revision else None
            form = ScheduleForm(request.POST or None, initial={"revision": shown})

        def perform() -> str:
            arguments = dict(form.cleaned_data) if form else {}
            if arguments.get("revision") is not None:
                # The revision this page showed, even if someone edited the draft since.
                arguments["revision"] = article.revisions.filter(
                    number=arguments["revision"]
                ).first()
            service(actor=request.user, article=article, **arguments)
            article.refresh_from_db()
            return f"“{article.slug}” is now {article.get_status_display().lower()}."

        return self._confirm_then(
            request,
            article,
            perform,
            done_url=self._url("change", article),
            form=form,
            template="transition_confirm.html",
            title=f"{label}: “{article.slug}”",
            action_label=label,
            scheduling=article.latest_revision if action == "schedule" else None,
            publish_job_note=PUBLISH_JOB_NOTE if action == "schedule" else None,
        )

    def history_view(self, request, object_id, extra_context=None):
        """What was done to the article, from its audit trail: publications and withdrawals too,
        whoever made them (the publication worker, a command, the API), not only admin saves."""
        article = self.get_object(request, unquote(object_id))
        events = article.audit_events.exclude(action__in=READS).order_by("-at", "-id")
        return self._render(
            request,
            "history.html",
            article,
            f"History of “{article.slug}”",
            events=events.select_related("preview_link"),
            audit_url=self._audit_url(article),
        )

    # --- revisions --------------------------------------------------------------------------------

    def revisions_view(self, request, object_id: str):
        """Every revision with author, time and note, and two of them side by side."""
        article = self.get_object(request, unquote(object_id))
        revisions = list(article.revisions.select_related("created_by").order_by("-number"))
        compare = RevisionCompareForm(request.GET or None, revisions=revisions)
        comparison = None
        if compare.is_bound and compare.is_valid():
            comparison = compare_revisions(compare.cleaned_data["old"], compare.cleaned_data["new"])
        return self._render(
            request,
            "revisions.html",
            article,
            f"Revisions of “{article.slug}”",
            revisions=revisions,
            compare=compare,
            comparison=comparison,
            revert_form=VersionForm(initial={"version": article.version}),
            may_change=self.has_change_permission(request, article),
        )

    def revert_view(self, request, object_id: str, number: int):
        """Confirm (GET) and perform (POST) making an old revision the working draft again."""
        article = self.get_object(request, unquote(object_id))
        revision = article.revisions.filter(number=number).first()
        if revision is None:
            raise access.deny()
        if not self.has_change_permission(request, article):
            return self._back_to_change(
                request, article, PermissionDenied(f"You may not edit “{article.slug}”.")
            )
        form = VersionForm(request.POST or None, initial={"version": article.version})
        if form.is_bound and not form.is_valid():
            return self._back_to_change(
                request,
                article,
                ValidationError("The confirmation was incomplete; reload it and try again."),
            )

        def perform() -> str:
            new = publishing.article_revert(
                actor=request.user,
                article=article,
                revision=revision,
                expected_version=form.cleaned_data["version"],
            )
            return f"Revision {revision.number} is the working draft again, as {new.number}."

        return self._confirm_then(
            request,
            article,
            perform,
            done_url=self._url("change", article),
            template="revert_confirm.html",
            title=f"Revert “{article.slug}” to revision {revision.number}",
            revision=revision,
            version_form=form,
        )
