"""What every page beside an article's change form stands on: its URLs, its rendering, and
``_confirm_then``, the one confirm-then-perform helper. ``SharePagesMixin`` and
``ArticlePagesMixin`` build on it; ``ArticleAdmin`` mixes them in.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from articles import publishing
from articles.admin.forms import add_service_error
from articles.models import Article

if TYPE_CHECKING:
    from django.contrib import admin

    # What the pages are mixed into: ArticleAdmin's attributes, typed (at run time, object).
    ArticleModelAdmin = admin.ModelAdmin[Article]
else:
    ArticleModelAdmin = object


class ArticlePageBase(ArticleModelAdmin):
    """The helpers of the article's own admin pages."""

    if TYPE_CHECKING:
        # ArticleAdmin's: never None (HiddenIsMissingMixin's 404 instead).
        def get_object(self, request, object_id, from_field=None) -> Article: ...

    def _url(self, suffix: str, article: Article, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:articles_article_{suffix}", args=[article.pk, *args]
        )

    def _render(
        self, request, template: str, article: Article, title: str, **context
    ) -> TemplateResponse:
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

    def _back_to_change(self, request, article: Article, error=None) -> HttpResponseRedirect:
        if error is not None:
            messages.error(request, publishing.refusal_message(error))
        return HttpResponseRedirect(self._url("change", article))

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
    ) -> HttpResponse:
        """Show the confirmation page; on a confirmed POST run ``perform`` (a service call that
        returns the success message) and go to ``done_url``. A refusal goes back to the article with
        its reason, or onto ``form`` when it names a field there."""
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                message = perform()
            except PermissionDenied as error:
                return self._back_to_change(request, article, error)
            except ValidationError as error:
                if form is None:
                    return self._back_to_change(request, article, error)
                add_service_error(form, error)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(done_url)
        return self._render(request, template, article, form=form, **page)

    def _article_to_share(self, request, object_id: str) -> Article:
        """The article of an Access or Share links page, for someone who may share it."""
        article = self.get_object(request, unquote(object_id))
        if not publishing.has_article_permission(request.user, "share_article", article):
            raise PermissionDenied
        return article
