"""The workflow at a glance: status badges, and the list's bulk actions, each checked per article.

A bulk action calls the same service as the article's own button, once per selected article, so
every refusal (no right, wrong state, an embargo end in the past) is the service's and is reported
by name; an article the user may not see is never in the queryset to begin with.
"""

from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.timesince import timeuntil

from articles import publishing
from articles.admin.forms import ScheduleForm
from articles.models import Article, Status

# Where scheduled publication happens: nothing in the admin publishes at publish_at by itself.
PUBLISH_JOB_NOTE = (
    "Scheduled publication and the embargo end are carried out by the publication worker "
    "(manage.py db_worker); manage.py publish_scheduled catches up anything that fell due "
    "while it was not running."
)


def when(moment: datetime) -> str:
    """``3 Dec 09:00 UTC``: the site's time zone, named."""
    return timezone.localtime(moment).strftime("%-d %b %H:%M %Z")


def scheduled_badge(publish_at: datetime, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if publish_at <= now:
        return f"Scheduled for {when(publish_at)} (due: waiting for the publication worker)"
    remaining = timeuntil(publish_at, now, depth=1).replace("\xa0", " ")
    return f"Scheduled for {when(publish_at)} (in {remaining})"


def status_badge(article: Article, *, reads_draft: bool, now: datetime | None = None) -> str:
    """The article's state in a few words. "Unpublished changes" only for those who may read them:
    for a reader of the live revision alone it would tell that an unpublished edit exists."""
    if article.is_public:
        if reads_draft and article.latest_revision_id != article.live_revision_id:
            return "Live + unpublished changes"
        return "Live"
    if article.status == Status.SCHEDULED and article.publish_at:
        return scheduled_badge(article.publish_at, now)
    if article.status == Status.PUBLISHED:
        return "Embargo ended"
    return article.get_status_display()


def _each(request, articles, action: str, **arguments) -> None:
    """Run one transition's service on each article as the signed-in user; report both outcomes."""
    label = publishing.TRANSITIONS[action].label
    service = publishing.TRANSITION_SERVICES[action]
    done, refused = [], []
    for article in articles:
        try:
            service(actor=request.user, article=article, **arguments)
        except (PermissionDenied, ValidationError) as error:
            refused.append(f"“{article.slug}”: {publishing.refusal_message(error)}")
        else:
            done.append(f"“{article.slug}”")
    if done:
        messages.success(request, f"{label}: done for {', '.join(done)}.")
    if refused:
        messages.warning(request, f"{label}: refused for {'; '.join(refused)}")


def _confirm_page(request, modeladmin, queryset, action: str, form=None) -> TemplateResponse:
    label = publishing.TRANSITIONS[action].label
    return TemplateResponse(
        request,
        "admin/articles/article/bulk_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.opts,
            "title": f"{label}: {len(queryset)} article(s)",
            "articles": queryset,
            "action": request.POST.get("action"),
            "action_label": label,
            "form": form,
            "publish_job_note": PUBLISH_JOB_NOTE if action == "schedule" else None,
        },
    )


@admin.action(description="Submit selected articles for review")
def submit_selected(modeladmin, request, queryset):
    _each(request, queryset, "submit")


@admin.action(description="Schedule selected articles…")
def schedule_selected(modeladmin, request, queryset):
    """Ask when (one time for all), then schedule each article's working draft."""
    form = ScheduleForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        times = {key: form.cleaned_data[key] for key in ("publish_at", "unpublish_at")}
        _each(request, queryset, "schedule", **times)
        return None
    return _confirm_page(request, modeladmin, queryset, "schedule", form)


@admin.action(description="Withdraw selected articles…")
def withdraw_selected(modeladmin, request, queryset):
    """Withdrawing takes pages off the public site: confirmed first."""
    if "apply" in request.POST:
        _each(request, queryset, "withdraw")
        return None
    return _confirm_page(request, modeladmin, queryset, "withdraw")


BULK_ACTIONS = [submit_selected, schedule_selected, withdraw_selected]
