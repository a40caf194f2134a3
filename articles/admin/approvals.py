"""The classification badge and the two-person buttons of the article admin.

Three POST views, each behind the article's one 404 (``ArticleAdmin.get_object``) and each a single
service call: change the classification (a raise applies, a lowering asks a second publisher), ask
for approval of a restricted article's publication, and approve another publisher's request.
The section is on the change page, for everyone who may see the article; the services decide who
may act.
"""

import functools

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse

from articles import access, publishing
from articles.models import Approval, Article, Classification
from articles.publishing import approvals, classification


@admin.display(description="Classification", ordering="classification")
def classification_badge(article: Article) -> str:
    """The article's classification as a badge (the list column; templates include the partial)."""
    return _badge_of_level(article.classification)


@functools.cache
def _badge_of_level(classification: str) -> str:
    # Rendered by the template the pages include, so the badge has one markup; already safe. Once
    # per level and process: it shows the level alone, and a list page rendered it for every row.
    return render_to_string(
        "admin/articles/article/_classification_badge.html",
        {"article": Article(classification=classification)},
    )


def urls(model_admin) -> list:
    """The three POST views, named ``articles_article_<name>`` like the other article pages."""

    def view(function, name: str, route: str):
        def bound(request, object_id: str, **kwargs):
            return function(model_admin, request, object_id, **kwargs)

        return path(
            f"<path:object_id>/{route}",
            model_admin.admin_site.admin_view(bound),
            name=f"articles_article_{name}",
        )

    return [
        view(classify_view, "classify", "classify/"),
        view(approval_request_view, "approval_request", "approval/request/"),
        view(approval_give_view, "approval_give", "approval/<int:approval_id>/give/"),
    ]


def _url(model_admin, name: str, article: Article, *args) -> str:
    return reverse(
        f"{model_admin.admin_site.name}:articles_article_{name}", args=[article.pk, *args]
    )


def context(model_admin, user, article: Article) -> dict:
    """What the change page's classification section shows ``user``."""
    may_publish = publishing.has_article_permission(user, "publish_article", article)
    return {
        "classification_choices": Classification.choices,
        "may_classify": may_publish,
        "classify_url": _url(model_admin, "classify", article),
        "approval_request_url": (
            _url(model_admin, "approval_request", article)
            if may_publish and article.classification == Classification.RESTRICTED
            else None
        ),
        # The Approve button only where it could work: a publisher who did not ask for it.
        "open_approvals": [
            (
                request,
                _url(model_admin, "approval_give", article, request.pk)
                if may_publish and request.approved_at is None and request.requested_by != user
                else None,
            )
            for request in approvals.open_requests(article)
        ],
        "publication_blocker": approvals.missing_approval(article, article.latest_revision_id),
    }


def _done(model_admin, request, article: Article, error=None, success: str = ""):
    if error is not None:
        messages.error(
            request,
            " ".join(error.messages) if isinstance(error, ValidationError) else str(error),
        )
    else:
        messages.success(request, success)
    return HttpResponseRedirect(_url(model_admin, "change", article))


def classify_view(model_admin, request, object_id: str):
    """Raise the classification, or ask a second publisher to approve lowering it."""
    # The 404 first, as on every article page: a hidden article and a missing one look the same.
    article = model_admin.get_object(request, unquote(object_id))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    level = request.POST.get("classification", "")
    try:
        if level in classification.RANK and classification.is_lowering(article, level):
            approvals.approval_request_lowering(
                actor=request.user, article=article, classification_name=level
            )
            done = f"Lowering to {level} awaits a second publisher's approval."
        else:
            classification.article_classify(
                actor=request.user, article=article, classification=level
            )
            done = f"“{article.slug}” is now {article.classification}."
    except (ValidationError, PermissionDenied) as error:
        return _done(model_admin, request, article, error)
    return _done(model_admin, request, article, success=done)


def approval_request_view(model_admin, request, object_id: str):
    """Ask a second publisher to approve publishing the working draft."""
    # The 404 first, as on every article page: a hidden article and a missing one look the same.
    article = model_admin.get_object(request, unquote(object_id))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        asked = approvals.approval_request_publication(actor=request.user, article=article)
    except (ValidationError, PermissionDenied) as error:
        return _done(model_admin, request, article, error)
    return _done(
        model_admin,
        request,
        article,
        success=f"Asked for approval of revision {asked.requested_revision.number}.",
    )


def approval_give_view(model_admin, request, object_id: str, approval_id: int):
    """Approve one open request of the article."""
    # The 404 first, as on every article page: a hidden article and a missing one look the same.
    article = model_admin.get_object(request, unquote(object_id))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pending = article.approvals.filter(pk=approval_id).first()
    if pending is None:
        raise access.deny()
    try:
        approvals.approval_give(actor=request.user, approval=pending)
    except (ValidationError, PermissionDenied) as error:
        return _done(model_admin, request, article, error)
    what = (
        f"publication of revision {pending.revision.number}"
        if pending.kind == Approval.Kind.PUBLICATION
        else f"lowering to {pending.classification}"
    )
    return _done(model_admin, request, article, success=f"Approved the {what}.")
