"""The editors' admin: every page lists through the visibility rule and every write goes through a service.

Permission hooks are answered by ``access`` and ``publishing.has_article_permission`` rather than by
guardian's ``GuardedModelAdminMixin``: guardian's object-permission pages assign permissions directly,
around ``access_grant``'s checks and the audit trail, so the Access panel here replaces them.
An article the user may not view is the same 404 as one that never existed, on every admin page.
The article's own pages (Access, Share links, Revisions, workflow confirmations) are in
``article_pages``; the audit trail's admin is in ``audit``.
"""

import functools
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Case, DateTimeField, F, Model, OuterRef, Subquery, Value, When
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from articles import access, publishing
from articles.admin import approvals as approval_views
from articles.admin.article_pages import ArticlePagesMixin, HiddenIsMissingMixin
from articles.admin.editor import EditorViews
from articles.admin.forms import ArticleForm
from articles.admin.workflow import (
    BULK_ACTIONS,
    PUBLISH_JOB_NOTE,
    status_badge,
    when,
)
from articles.models import Article, Asset, Revision, Status
from articles.publishing import editing
from articles.publishing.drafts import article_delete_draft, never_published
from articles.scrubbing import removal_message
from articles.web.datetimes import machine_datetime


class _Refused(Exception):
    """A service refused the admin form's save; ``changeform_view`` shows the form with the reason."""

    def __init__(self, error: ValidationError | PermissionDenied):
        super().__init__(error)
        self.error = error


def _title_of(revision: str) -> Subquery:
    """The title of the article's revision at field ``revision``, as a subquery rather than a join:
    the list's two counts then drop it, where a join would stay in both (7x their time at 10,000
    articles on SQLite)."""
    # Unordered: Revision's default order joins its article, whose alias would capture the OuterRef
    # and make one title for every row.
    return Subquery(Revision.objects.filter(pk=OuterRef(revision)).order_by().values("title"))


@functools.cache
def _yes_no_icon(value: bool) -> str:
    """Django's boolean column icon, looked up in the static files once per value and process, not
    once per row."""
    return display_for_value(value, "", boolean=True)


def _short_time(moment: datetime | None) -> str | None:
    """A compact local time for list columns, the full one on hover; None shows the admin's dash."""
    if moment is None:
        return None
    # One formatter for both forms (what formats.localize and formats.date_format each make anew).
    local = dateformat.DateFormat(timezone.localtime(moment))
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        machine_datetime(moment),
        local.format(formats.get_format("DATETIME_FORMAT")),
        local.format("j M Y H:i"),
    )


class ArticleChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # The rows show the annotated title, never the working draft's revision: its body, HTML and
        # text (kilobytes a row) were read for every row of the page and used by none.
        return super().get_queryset(request, exclude_parameters).select_related(None)

    @cached_property
    def _change_url_prefix(self) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
            current_app=self.model_admin.admin_site.name,
        )

    def url_for_result(self, result: Model) -> str:
        # Django's change URL (the list's URL, the pk, "change/"; a test holds the two equal) with
        # one reverse() a page instead of one a row, 7% of the list's time at 50 rows.
        return f"{self._change_url_prefix}{result.pk}/change/"


@admin.register(Article)
class ArticleAdmin(ArticlePagesMixin, HiddenIsMissingMixin, admin.ModelAdmin):
    form = ArticleForm
    # The slug sits under the title and dates are short, so the list fits a laptop screen unscrolled.
    list_display = [
        "headline",
        approval_views.classification_badge,
        "state",
        "public",
        "published",
        "updated",
    ]
    list_filter = ["status"]
    # Half Django's 100: the queries cost the same at any size, but each row costs about 0.3 ms of
    # formatting (its dates most), so a full page of 100 took 3x the time of a small site's list.
    list_per_page = 50
    # Not latest_revision__title: that would search (and sort by) the unpublished working draft of a
    # public article for staff who may only read its live revision.
    search_fields = ["slug", "shown_title"]
    actions = BULK_ACTIONS
    save_as = False

    # --- what the user may see and do: the rule's answers, never a re-statement --------------------

    def get_queryset(self, request):
        return (
            Article.objects.visible_to(request.user)
            .with_public_flag()
            # The grant asked of the row itself: an EXISTS over the articles table per row was a
            # scan of all of them on PostgreSQL, three times a page.
            .with_grant_flag(request.user)
            .annotate(
                shown_title=Case(
                    When(is_granted=True, then=_title_of("latest_revision")),
                    default=_title_of("live_revision"),
                ),
                # updated_at moves with unpublished edits: shown only to those who may read them.
                shown_updated_at=Case(
                    When(is_granted=True, then=F("updated_at")),
                    default=Value(None, output_field=DateTimeField()),
                ),
            )
            .select_related("latest_revision")
        )

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

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
        # Only a draft that was never public (publishing/drafts.py); anything else is withdrawn.
        # Without an object this is False, so the list offers no bulk delete.
        return (
            obj is not None
            and never_published(obj)
            and publishing.has_article_permission(request.user, "change_article", obj)
        )

    def view_on_site(self, obj: Article) -> str:
        # A direct link, not Django's admin/r/ redirect, which would name the slug of any id.
        return obj.get_absolute_url()

    # --- list columns and read-only display -------------------------------------------------------

    def action_checkbox(self, obj: Article) -> SafeString:
        # Django's markup, formatted: its form widget renders a template for every row, a fifth of
        # the list's time at 100 rows.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description="Title", ordering="shown_title")
    def title(self, obj: Article) -> str:
        # The working draft's title for those who may read it, else the live one.
        return obj.shown_title or "—"

    @admin.display(description="Title", ordering="shown_title")
    def headline(self, obj: Article) -> str:
        return format_html('{}<span class="slug">{}</span>', self.title(obj), obj.slug)

    @admin.display(description="Status", ordering="status")
    def state(self, obj: Article) -> str:
        badge = status_badge(obj, reads_draft=obj.is_granted)
        return format_html('<span class="status-badge status-{}">{}</span>', obj.status, badge)

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj: Article) -> str | None:
        # Only while public: a withdrawn article's old date reads as if it were out now.
        return _short_time(obj.published_at) if obj.is_public else None

    @admin.display(description="Updated", ordering="shown_updated_at")
    def updated(self, obj: Article) -> str | None:
        return _short_time(obj.shown_updated_at)

    @admin.display(description="Public", ordering="is_public")
    def public(self, obj: Article) -> str:
        return _yes_no_icon(obj.is_public)

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
            fields = ["title", "slug", "summary", "body", "tags", "uploads"]
        elif not self.has_change_permission(request, obj):
            fields = ["slug", "status", "title", "summary", "body", "tags"]
        else:
            fields = ["slug", "status", "title", "summary", "body", "tags", "keep_assets"]
            fields += ["featured_image"]
            fields += ["uploads", "note", "loaded_version"]
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        return ["slug", "status"] if obj is not None else []

    class Media:
        # Django loads these only for a prepopulated_fields attribute, which must name model
        # fields; the title is the revision's, so the slug is prepopulated by the method below.
        js = ["admin/js/urlify.js", "admin/js/prepopulate.js"]

    def get_prepopulated_fields(self, request, obj=None):
        # The slug follows the title while it is typed on the add page; afterwards it is fixed.
        return {"slug": ("title",)} if obj is None else {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A fresh class per request (modelform_factory), so this is safe.
        form.refusal = getattr(request, "article_refusal", None)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Django's, but a save the services refuse shows the same POST again, with the refusal.

        Caught inside the POST's transaction: what the service records of a refusal (a taken slug's
        attempt on the other article's trail) is kept; the service rolled back everything else.
        """
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            try:
                return self._changeform_view(request, object_id, form_url, extra_context)
            except _Refused as refused:
                request.article_refusal = refused.error
                return self._changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request, form, change):
        """Write the valid form through the services, as the person signed in."""
        try:
            form.save_through_services(actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            raise _Refused(error) from error
        return form.instance

    def save_model(self, request, obj, form, change):
        """Nothing left to save (``save_form`` wrote through the services): say what it means."""
        editing.autosave_discard(actor=request.user, article=form.instance)
        for asset in form.stored_assets:
            if asset.removed_metadata:
                messages.info(request, removal_message(asset.original_name, asset.removed_metadata))
        if (
            change
            and obj.status == Status.PUBLISHED
            and obj.latest_revision_id != obj.live_revision_id
        ):
            messages.warning(
                request,
                f"Saved as revision {obj.latest_revision.number}. Readers still see the live "
                f"revision {obj.live_revision.number}: these changes are not live until "
                f"“{obj.slug}” is published again.",
            )

    def save_related(self, request, form, formsets, change):
        """Tags, assets and the revision were written by the same service call."""

    def response_change(self, request, obj):
        # A workflow button inside the change form: the typed text was saved first, then on to
        # the transition's confirmation page (nothing typed is dropped on the way).
        action = request.POST.get("_workflow")
        if action in publishing.TRANSITIONS:
            return HttpResponseRedirect(self._url("transition", obj, action))
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        article_delete_draft(actor=request.user, article=obj)

    def get_deleted_objects(self, objs, request):
        """What deleting a draft takes with it, counted; no per-model permission to ask about."""
        (article,) = objs
        summary = [
            f"Article “{article.slug}”",
            f"{article.revisions.count()} revision(s)",
            f"{article.assets.count()} file(s), deleted from storage",
            f"{article.preview_links.count()} share link(s)",
        ]
        return summary, {}, set(), []

    def get_urls(self):
        # Before Django's own, whose "<path:object_id>/" would take them for an object id.
        return [
            *self.article_page_urls(),
            *approval_views.urls(self),
            *EditorViews(self).urls(),
            *super().get_urls(),
        ]

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
        flagged = Article.objects.with_public_flag().get(pk=article.pk)
        return {
            "article_assets": [(asset, asset.pk in latest_ids) for asset in assets],
            "status_badge": status_badge(flagged, reads_draft=True),
            "publish_at": (
                when(article.publish_at)
                if article.status == Status.SCHEDULED and article.publish_at
                else None
            ),
            "unpublish_at": when(article.unpublish_at) if article.unpublish_at else None,
            "publish_job_note": PUBLISH_JOB_NOTE,
            "workflow_actions": [
                (
                    action,
                    publishing.TRANSITIONS[action].label,
                    self._url("transition", article, action),
                )
                for action in publishing.allowed_actions(actor=request.user, article=article)
            ],
            "may_share": publishing.has_article_permission(request.user, "share_article", article),
            "scheduled_differs": publishing.scheduled_differs_from_draft(article),
            "revisions_url": self._url("revisions", article),
            "access_url": self._url("access", article),
            "share_url": self._url("share", article),
            "audit_url": self._audit_url(article),
            **approval_views.context(self, request.user, article),
        }
