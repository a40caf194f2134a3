"""The editors' admin: every page lists through the visibility rule and every write goes through a service.

Permission hooks are answered by ``access`` and ``publishing.has_article_permission`` rather than by
guardian's ``GuardedModelAdminMixin``: guardian's object-permission pages assign permissions directly,
around ``access_grant``'s checks and the audit trail, so the Access panel here replaces them.
An article the user may not view is the same 404 as one that never existed, on every admin page.
"""

import difflib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from articles import access, publishing
from articles.admin.editor import EditorViews
from articles.admin.forms import (
    AccessForm,
    ArticleForm,
    PreviewLinkForm,
    RevisionCompareForm,
    ScheduleForm,
    VersionForm,
    add_service_error,
)
from articles.models import (
    Article,
    Asset,
    AuditEvent,
    PreviewLink,
    Revision,
)
from articles.publishing import editing, people
from articles.scrubbing import removal_message
from articles.web.datetimes import machine_datetime

TRANSITIONS = {
    # action: (button label, service)
    "submit": ("Submit for review", publishing.article_submit),
    "schedule": ("Schedule", publishing.article_schedule),
    "publish": ("Publish", publishing.article_publish),
    "withdraw": ("Withdraw", publishing.article_withdraw),
    "return_to_draft": ("Return to draft", publishing.article_return_to_draft),
}


class HiddenIsMissingMixin:
    """An object outside the user's queryset is the one 404, not Django's "doesn't exist" redirect."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise access.deny()
        return obj


def revision_diff(old: Revision, new: Revision) -> list[tuple[str, str]]:
    """A unified diff of title, summary and body as (kind, line) pairs; the template escapes them."""
    lines = []
    for name in ("title", "summary", "body"):
        for line in difflib.unified_diff(
            getattr(old, name).splitlines(),
            getattr(new, name).splitlines(),
            fromfile=f"{name} (revision {old.number})",
            tofile=f"{name} (revision {new.number})",
            lineterm="",
        ):
            if line.startswith(("---", "+++", "@@")):
                kind = "heading"
            elif line.startswith("+"):
                kind = "added"
            elif line.startswith("-"):
                kind = "removed"
            else:
                kind = "same"
            lines.append((kind, line))
    return lines


def _short_time(moment: datetime | None) -> str | None:
    """A compact local time for list columns, the full one on hover; None shows the admin's dash."""
    if moment is None:
        return None
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        machine_datetime(moment),
        formats.localize(local),
        formats.date_format(local, "j M Y H:i"),
    )


def _first_message(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or "You do not have permission to do that."
    return " ".join(error.messages)


@admin.register(Article)
class ArticleAdmin(HiddenIsMissingMixin, admin.ModelAdmin):
    form = ArticleForm
    # The slug sits under the title and dates are short, so the list fits a laptop screen unscrolled.
    list_display = ["headline", "status", "public", "published", "updated"]
    list_filter = ["status"]
    # Not latest_revision__title: that would search (and sort by) the unpublished working draft of a
    # public article for staff who may only read its live revision.
    search_fields = ["slug", "shown_title"]
    actions = None
    save_as = False

    # --- what the user may see and do: the rule's answers, never a re-statement --------------------

    def get_queryset(self, request):
        reads_draft = Exists(Article.objects.granted_to(request.user).filter(pk=OuterRef("pk")))
        return (
            Article.objects.visible_to(request.user)
            .with_public_flag()
            .annotate(
                shown_title=Case(
                    When(reads_draft, then=F("latest_revision__title")),
                    default=F("live_revision__title"),
                ),
                # updated_at moves with unpublished edits: shown only to those who may read them.
                shown_updated_at=Case(
                    When(reads_draft, then=F("updated_at")),
                    default=Value(None, output_field=DateTimeField()),
                ),
            )
            .select_related("latest_revision")
        )

    def lookup_allowed(self, lookup, value, request):
        # Only the offered filter: ?version__gt=, ?updated_at__gt= or ?latest_revision= would tell a
        # reader of a public article's live revision that an unpublished edit exists.
        return lookup.split("__")[0] == "status" and super().lookup_allowed(lookup, value, request)

    def get_object(self, request, object_id, from_field=None):
        article = super().get_object(request, object_id, from_field)
        # Every article page shows the working draft, so a public article is no exception.
        if not access.may_read_unpublished(request.user, article):
            raise access.deny()
        return article

    def has_module_permission(self, request):
        # Every staff member may open the list; it holds only what the rule lets them see.
        return True

    def has_view_permission(self, request, obj=None):
        return obj is None or access.may_view(request.user, obj)

    def has_add_permission(self, request):
        return publishing.has_article_permission(request.user, "add_article")

    def has_change_permission(self, request, obj=None):
        # Without an object: "may change some article"; object grants make that true for authors.
        return obj is None or publishing.has_article_permission(request.user, "change_article", obj)

    def has_delete_permission(self, request, obj=None):
        # No service deletes articles; withdrawing is how an article goes away.
        return False

    def view_on_site(self, obj: Article) -> str:
        # A direct link, not Django's admin/r/ redirect, which would name the slug of any id.
        return obj.get_absolute_url()

    # --- list columns and read-only display -------------------------------------------------------

    @admin.display(description="Title", ordering="shown_title")
    def title(self, obj: Article) -> str:
        # The working draft's title for those who may read it, else the live one.
        return obj.shown_title or "—"

    @admin.display(description="Title", ordering="shown_title")
    def headline(self, obj: Article) -> str:
        return format_html('{}<span class="slug">{}</span>', self.title(obj), obj.slug)

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj: Article) -> str | None:
        return _short_time(obj.published_at)

    @admin.display(description="Updated", ordering="shown_updated_at")
    def updated(self, obj: Article) -> str | None:
        return _short_time(obj.shown_updated_at)

    @admin.display(description="Public", boolean=True, ordering="is_public")
    def public(self, obj: Article) -> bool:
        return obj.is_public

    @admin.display(description="Summary")
    def summary(self, obj: Article) -> str:
        return obj.latest_revision.summary if obj.latest_revision else ""

    @admin.display(description="Body (Markdown)")
    def body(self, obj: Article) -> str:
        return obj.latest_revision.body if obj.latest_revision else ""

    @admin.display(description="Tags")
    def tags(self, obj: Article) -> str:
        latest = obj.latest_revision
        return ", ".join(tag.name for tag in latest.tags.all()) if latest else ""

    # --- the add/change form: saved by the form's service call ------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = ["slug", "title", "summary", "body", "tags", "uploads"]
        elif not self.has_change_permission(request, obj):
            fields = ["slug", "status", "title", "summary", "body", "tags"]
        else:
            fields = ["slug", "status", "title", "summary", "body", "tags", "keep_assets"]
            fields += ["featured_image"]
            fields += ["uploads", "loaded_version"]
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        return ["slug", "status"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a fresh class per request (modelform_factory), so this is safe
        return form

    def save_form(self, request, form, change):
        """The form's validation already saved through the services: return what they made."""
        return form.instance

    def save_model(self, request, obj, form, change):
        """Nothing left to save (``ArticleForm`` wrote through the services): say what was stripped."""
        editing.autosave_discard(actor=request.user, article=form.instance)
        for asset in form.stored_assets:
            if asset.removed_metadata:
                messages.info(request, removal_message(asset.original_name, asset.removed_metadata))

    def save_related(self, request, form, formsets, change):
        """Tags, assets and the revision were written by the same service call."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._article_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _article_context(self, request, article: Article) -> dict:
        latest_ids = (
            set(article.latest_revision.assets.values_list("pk", flat=True))
            if article.latest_revision
            else set()
        )
        assets = Asset.objects.with_public_flag().filter(article=article).order_by("original_name")
        return {
            "article_assets": [(asset, asset.pk in latest_ids) for asset in assets],
            "workflow_actions": [
                (TRANSITIONS[action][0], self._url("transition", article, action))
                for action in publishing.allowed_actions(actor=request.user, article=article)
            ],
            "may_share": publishing.has_article_permission(request.user, "share_article", article),
            "scheduled_differs": publishing.scheduled_differs_from_draft(article),
            "revisions_url": self._url("revisions", article),
            "access_url": self._url("access", article),
            "share_url": self._url("share", article),
        }

    # --- extra pages ------------------------------------------------------------------------------

    def get_urls(self):
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
            *EditorViews(self).urls(),
            *super().get_urls(),
        ]

    def _url(self, suffix: str, article: Article, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:articles_article_{suffix}", args=[article.pk, *args]
        )

    def _render(self, request, template: str, article: Article, title: str, **context):
        return TemplateResponse(
            request,
            f"admin/articles/article/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": article,
                "title": title,
                "change_url": self._url("change", article),
                **context,
            },
        )

    def _back_to_change(self, request, article: Article, error=None):
        if error is not None:
            messages.error(request, _first_message(error))
        return HttpResponseRedirect(self._url("change", article))

    def _require_share(self, request, article: Article) -> None:
        if not publishing.has_article_permission(request.user, "share_article", article):
            raise PermissionDenied

    def access_view(self, request, object_id: str):
        """Who can see the article, and grant or revoke one permission (``share_article`` holders)."""
        article = self.get_object(request, unquote(object_id))
        self._require_share(request, article)
        form = AccessForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            revoking = request.POST.get("do") == "revoke"
            service = publishing.access_revoke if revoking else publishing.access_grant
            data = form.cleaned_data
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
            else:
                who = data["username"] or f"group {data['group']}"
                done = "revoked from" if revoking else "granted to"
                messages.success(request, f"“{data['perm']}” {done} {who}.")
                return HttpResponseRedirect(request.path)
        return self._render(
            request,
            "access.html",
            article,
            f"Access to “{article.slug}”",
            form=form,
            audience=access.who_can_see(article),
            share_url=self._url("share", article),
        )

    def transition_view(self, request, object_id: str, action: str):
        """Confirm (GET) and perform (POST) one workflow transition the user may take."""
        article = self.get_object(request, unquote(object_id))
        if action not in TRANSITIONS:
            raise access.deny()
        label, service = TRANSITIONS[action]
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
        if request.method == "POST" and (form is None or form.is_valid()):
            arguments = dict(form.cleaned_data) if form else {}
            if arguments.get("revision") is not None:
                # The revision this page showed, even if someone edited the draft since.
                arguments["revision"] = article.revisions.filter(
                    number=arguments["revision"]
                ).first()
            try:
                service(actor=request.user, article=article, **arguments)
            except PermissionDenied as error:
                return self._back_to_change(request, article, error)
            except ValidationError as error:
                if form is None:
                    return self._back_to_change(request, article, error)
                add_service_error(form, error)
            else:
                article.refresh_from_db()
                messages.success(
                    request, f"“{article.slug}” is now {article.get_status_display().lower()}."
                )
                return self._back_to_change(request, article)
        return self._render(
            request,
            "transition_confirm.html",
            article,
            f"{label}: “{article.slug}”",
            action_label=label,
            form=form,
            scheduling=article.latest_revision if action == "schedule" else None,
        )

    def revisions_view(self, request, object_id: str):
        """Every revision with author and time, and a diff between any two."""
        article = self.get_object(request, unquote(object_id))
        revisions = list(article.revisions.select_related("created_by").order_by("-number"))
        compare = RevisionCompareForm(request.GET or None, revisions=revisions)
        diff = None
        if compare.is_bound and compare.is_valid():
            diff = revision_diff(compare.cleaned_data["old"], compare.cleaned_data["new"])
        return self._render(
            request,
            "revisions.html",
            article,
            f"Revisions of “{article.slug}”",
            revisions=revisions,
            compare=compare,
            diff=diff,
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
        if form.is_bound:
            if not form.is_valid():
                return self._back_to_change(
                    request,
                    article,
                    ValidationError("The confirmation was incomplete; reload it and try again."),
                )
            try:
                new = publishing.article_revert(
                    actor=request.user,
                    article=article,
                    revision=revision,
                    expected_version=form.cleaned_data["version"],
                )
            except (ValidationError, PermissionDenied) as error:
                return self._back_to_change(request, article, error)
            messages.success(
                request, f"Revision {revision.number} is the working draft again, as {new.number}."
            )
            return self._back_to_change(request, article)
        return self._render(
            request,
            "revert_confirm.html",
            article,
            f"Revert “{article.slug}” to revision {revision.number}",
            revision=revision,
            form=form,
        )

    def share_view(self, request, object_id: str):
        """Share links of one article: issue one (its URL is shown once), list them, revoke them."""
        article = self.get_object(request, unquote(object_id))
        self._require_share(request, article)
        form = PreviewLinkForm(request.POST if request.method == "POST" else None)
        new_url = None
        if form.is_bound and form.is_valid():
            try:
                _link, token = publishing.preview_link_issue(
                    actor=request.user,
                    article=article,
                    label=form.cleaned_data["label"],
                    ttl=timedelta(hours=form.cleaned_data["hours"]),
                )
            except (ValidationError, PermissionDenied) as error:
                add_service_error(form, error)
            else:
                # Rendered into this response only: never into a message cookie or the session.
                new_url = settings.EMBARGO_BASE_URL + reverse("preview", args=[token])
                form = PreviewLinkForm()
        now = timezone.now()
        links = [
            (link, self._link_state(link, now))
            for link in PreviewLink.objects.with_state(now=now)
            .filter(article=article)
            .select_related("created_by", "revision")
        ]
        return self._render(
            request,
            "share.html",
            article,
            f"Share links for “{article.slug}”",
            form=form,
            links=links,
            has_live_link=any(state == "live" for _link, state in links),
            new_url=new_url,
        )

    @staticmethod
    def _link_state(link: PreviewLink, now: datetime) -> str:
        """live, revoked, expired, or ended (its creator lost access; the Access page says how)."""
        if link.is_live:
            return "live"
        if link.revoked_at is not None:
            return "revoked"
        return "expired" if link.expires_at <= now else "ended"

    def _shared_link(self, request, object_id: str, link_id: int):
        """The article and one of its share links, for someone who may share it; else the 404."""
        article = self.get_object(request, unquote(object_id))
        link = article.preview_links.filter(pk=link_id).first()
        if link is None:
            raise access.deny()
        self._require_share(request, article)
        return article, link

    def share_revoke_view(self, request, object_id: str, link_id: int):
        """Revoke one share link (POST)."""
        article, link = self._shared_link(request, object_id, link_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            publishing.preview_link_revoke(actor=request.user, link=link)
        except PermissionDenied as error:
            return self._back_to_change(request, article, error)
        messages.success(request, f"The link for “{link.label}” no longer works.")
        return HttpResponseRedirect(self._url("share", article))

    def share_update_view(self, request, object_id: str, link_id: int):
        """Make one live share link show the current draft (POST), back on the Access page."""
        article, link = self._shared_link(request, object_id, link_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            link = publishing.preview_link_update(actor=request.user, link=link)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _first_message(error))
        else:
            messages.success(
                request,
                f"The link for “{link.label}” now shows the current draft "
                f"(revision {link.revision.number}).",
            )
        return HttpResponseRedirect(self._url("access", article))

    def share_revoke_all_view(self, request, object_id: str):
        """Revoke every share link of the article (POST)."""
        article = self.get_object(request, unquote(object_id))
        self._require_share(request, article)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            count = publishing.preview_links_revoke_all(actor=request.user, article=article)
        except PermissionDenied as error:
            return self._back_to_change(request, article, error)
        messages.success(request, f"{count} live link(s) revoked.")
        return HttpResponseRedirect(self._url("share", article))


@admin.register(AuditEvent)
class AuditEventAdmin(HiddenIsMissingMixin, admin.ModelAdmin):
    """The audit trail, read-only: no add, no edit, no delete, no bulk actions."""

    list_display = ["at", "action", "actor_name", "article_slug", "target_name", "route"]
    list_filter = [
        "action",
        ("article", admin.RelatedOnlyFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "at"
    search_fields = ["article_slug", "actor_name"]
    actions = None

    def get_queryset(self, request):
        events = super().get_queryset(request)
        if request.user.is_superuser:
            # Also the events of deleted articles, whose slugs nobody else may read.
            return events
        # The trail of a public article still names its working draft's files and share links,
        # so it is for those who may read the unpublished article, not for every reader.
        visible = Q(article__in=Article.objects.granted_to(request.user))
        if people.is_access_administrator(request.user):
            visible |= ~Q(target_name="")  # changes to people, which they administer
        return events.filter(visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
