"""The audit trail's admin, read-only: each person sees the events of what they may read unpublished.

The trail of a public article still names its working draft's files and share links, so it is for
those who may read the unpublished article (``Article.objects.granted_to``), not for every reader.
Filtering by an article the viewer may not read gives the same empty list as an id that never was.
"""

from django.contrib import admin
from django.db.models import Q

from articles.admin.article_pages import HiddenIsMissingMixin
from articles.models import Article, AuditEvent
from articles.publishing import people


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
