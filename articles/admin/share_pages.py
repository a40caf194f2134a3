"""The Share links pages of an article: issue, list, revoke one or all (after a confirmation), and
move a link to the current draft. Part of ``ArticlePagesMixin``; built on ``ArticlePageBase``.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from articles import access, publishing
from articles.admin.forms import PreviewLinkForm, add_service_error
from articles.admin.page_base import ArticlePageBase
from articles.models import Article, PreviewLink


def _link_state(link: PreviewLink, now: datetime) -> str:
    """live, revoked, expired, or ended (its creator lost access; the Access page says how)."""
    if link.is_live:
        return "live"
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "ended"


class SharePagesMixin(ArticlePageBase):
    """Share-link pages for ``ArticleAdmin`` (through ``ArticlePagesMixin``)."""

    # --- share links ------------------------------------------------------------------------------

    def share_view(self, request, object_id: str):
        """Share links of one article: issue one (its URL is shown once), list them, revoke them."""
        article = self._article_to_share(request, object_id)
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
            (link, _link_state(link, now))
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

    def _shared_link(self, request, object_id: str, link_id: int):
        """The article and one of its share links, for someone who may share it; else the 404."""
        # Share first: to a reader without it, an existing link and a missing one are both refused.
        article = self._article_to_share(request, object_id)
        link = article.preview_links.filter(pk=link_id).first()
        if link is None:
            raise access.deny()
        return article, link

    def _confirm_revoke(
        self, request, article: Article, revoke: Callable[[], str], **wording: str
    ) -> HttpResponse:
        """Confirm (GET) and perform (POST) a revocation, from and back to the Share links page."""
        share_page = self._url("share", article)
        return self._confirm_then(
            request, article, revoke, done_url=share_page, cancel_url=share_page, **wording
        )

    def share_revoke_view(self, request, object_id: str, link_id: int):
        """Confirm (GET) and revoke (POST) one share link."""
        article, link = self._shared_link(request, object_id, link_id)

        def revoke() -> str:
            publishing.preview_link_revoke(actor=request.user, link=link)
            return f"The link for “{link.label}” no longer works."

        return self._confirm_revoke(
            request,
            article,
            revoke,
            title=f"Revoke the share link for “{link.label}”",
            question=f"Revoke the share link for “{link.label}” on “{article.slug}”?",
            consequence="It stops working at once, for good; you can issue a new one.",
            button="Revoke share",
        )

    def share_update_view(self, request, object_id: str, link_id: int):
        """Make one live share link show the current draft (POST), back on the Access page."""
        article, link = self._shared_link(request, object_id, link_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            link = publishing.preview_link_update(actor=request.user, link=link)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, publishing.refusal_message(error))
        else:
            messages.success(
                request,
                f"The link for “{link.label}” now shows the current draft "
                f"(revision {link.revision.number}).",
            )
        return HttpResponseRedirect(self._url("access", article))

    def share_revoke_all_view(self, request, object_id: str):
        """Confirm (GET) and revoke (POST) every share link of the article."""
        article = self._article_to_share(request, object_id)

        def revoke() -> str:
            count = publishing.preview_links_revoke_all(actor=request.user, article=article)
            return f"{count} live link(s) revoked."

        return self._confirm_revoke(
            request,
            article,
            revoke,
            title=f"Revoke all live links for “{article.slug}”",
            question=f"Revoke every live share link for “{article.slug}”?",
            consequence="Everyone holding one loses access at once; you can issue new ones.",
            button="Revoke all live links",
        )
