"""The Share links pages of an article: issue, list, revoke one or all (after a confirmation), and
move a link to the current draft. Part of ``ArticlePagesMixin``, whose helpers (``get_object``,
``_url``, ``_render``, ``_confirm_then``, ``_require_share``) they use.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from articles import access, publishing
from articles.admin.forms import PreviewLinkForm, add_service_error
from articles.models import Article, PreviewLink

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib import admin
    from django.http import HttpResponse
    from django.template.response import TemplateResponse

    # What the mixins are mixed into: ArticleAdmin's attributes, typed (at run time, object).
    ArticleModelAdmin = admin.ModelAdmin[Article]
else:
    ArticleModelAdmin = object


def _link_state(link: PreviewLink, now: datetime) -> str:
    """live, revoked, expired, or ended (its creator lost access; the Access page says how)."""
    if link.is_live:
        return "live"
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "ended"


class SharePagesMixin(ArticleModelAdmin):
    """Share-link pages for ``ArticleAdmin`` (through ``ArticlePagesMixin``)."""

    if TYPE_CHECKING:
        # Defined by ArticleAdmin (get_object: never None, HiddenIsMissingMixin's 404 instead)
        # and by ArticlePagesMixin (the rest).
        def get_object(self, request, object_id, from_field=None) -> Article: ...
        def _url(self, suffix: str, article: Article, *args) -> str: ...
        def _render(
            self, request, template: str, article: Article, title: str, **context
        ) -> TemplateResponse: ...
        def _confirm_then(
            self,
            request,
            article: Article,
            perform: Callable[[], str],
            *,
            done_url: str,
            form=None,
            template: str = "confirm.html",
            **page,
        ) -> HttpResponse: ...
        def _require_share(self, request, article: Article) -> None: ...

    # --- share links ------------------------------------------------------------------------------

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
        article = self.get_object(request, unquote(object_id))
        # Share first: to a reader without it, an existing link and a missing one are both refused.
        self._require_share(request, article)
        link = article.preview_links.filter(pk=link_id).first()
        if link is None:
            raise access.deny()
        return article, link

    def share_revoke_view(self, request, object_id: str, link_id: int):
        """Confirm (GET) and revoke (POST) one share link."""
        article, link = self._shared_link(request, object_id, link_id)

        def perform() -> str:
            publishing.preview_link_revoke(actor=request.user, link=link)
            return f"The link for “{link.label}” no longer works."

        return self._confirm_then(
            request,
            article,
            perform,
            done_url=self._url("share", article),
            title=f"Revoke the share link for “{link.label}”",
            question=f"Revoke the share link for “{link.label}” on “{article.slug}”?",
            consequence="It stops working at once, for good; you can issue a new one.",
            button="Revoke share",
            cancel_url=self._url("share", article),
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
        article = self.get_object(request, unquote(object_id))
        self._require_share(request, article)

        def perform() -> str:
            count = publishing.preview_links_revoke_all(actor=request.user, article=article)
            return f"{count} live link(s) revoked."

        return self._confirm_then(
            request,
            article,
            perform,
            done_url=self._url("share", article),
            title=f"Revoke all live links for “{article.slug}”",
            question=f"Revoke every live share link for “{article.slug}”?",
            consequence="Everyone holding one loses access at once; you can issue new ones.",
            button="Revoke all live links",
            cancel_url=self._url("share", article),
        )
