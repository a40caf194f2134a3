"""The writing tools behind the article form: live preview, dropped files, autosave and recovery.

Each view is one more door onto an article, so each asks what the change page asks: the article is
looked up through ``ArticleAdmin.get_object`` (the one 404 for an article the user may not read)
and needs ``change_article``, refused with the same 404. The method and the input are checked only
after that, so a wrong method or bad input tells nobody more than a missing article would. Every
answer is JSON for the editor's own script and is private: ``admin_view`` adds ``never_cache``
(``private, no-store``) and CSRF protection to each.
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.utils import formats, timezone

from articles import access, publishing
from articles.models import Article, Asset
from articles.publishing import editing
from articles.publishing.rendering import render_preview
from articles.scrubbing import removal_message


def markdown_reference(asset: Asset) -> str:
    """How the body refers to ``asset``: an image by ``![alt](name)``, any other file by a link."""
    stem = PurePosixPath(asset.original_name).stem
    label = "".join(ch for ch in stem if ch not in "[]") or "file"
    target = quote(asset.original_name)
    return f"![{label}]({target})" if asset.is_image else f"[{label}]({target})"


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _preview(request, assets) -> JsonResponse:
    html, problems = render_preview(request.POST.get("body", ""), assets=assets)
    return JsonResponse({"html": html, "problems": problems})


class EditorViews:
    """The editor's endpoints of one ``ArticleAdmin``, added to its URLs by ``urls()``."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def urls(self) -> list:
        wrap = self.model_admin.admin_site.admin_view

        def route(function, suffix: str, pattern: str):
            return path(pattern, wrap(function), name=f"articles_article_editor_{suffix}")

        return [
            route(self.preview_new, "preview_new", "editor/preview/"),
            route(self.preview, "preview", "<path:object_id>/editor/preview/"),
            route(self.upload, "upload", "<path:object_id>/editor/upload/"),
            route(self.autosave, "autosave", "<path:object_id>/editor/autosave/"),
            route(self.recover, "recover", "<path:object_id>/editor/recover/"),
            route(self.discard, "discard", "<path:object_id>/editor/discard/"),
        ]

    def _editable(self, request, object_id: str) -> Article:
        """The article, if the user may change it; otherwise the 404 of one that never existed."""
        article = self.model_admin.get_object(request, unquote(object_id))
        if not self.model_admin.has_change_permission(request, article):
            raise access.deny()
        return article

    def preview_new(self, request):
        """The add page's preview (POST): the typed body rendered, nothing stored."""
        if not self.model_admin.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _preview(request, assets=())

    def preview(self, request, object_id: str):
        """The change page's preview (POST): the typed body with the files the draft would keep."""
        article = self._editable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        kept = [pk for pk in request.POST.getlist("keep_assets") if pk.isdigit()]
        return _preview(request, Asset.objects.filter(article=article, pk__in=kept))

    def upload(self, request, object_id: str):
        """Attach one dropped or pasted file (POST) and say how the body refers to it."""
        article = self._editable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        upload = request.FILES.get("file")
        version = request.POST.get("loaded_version", "")
        if upload is None:
            return _error("No file arrived; drop or paste the file again.")
        if not version.isdigit():
            return _error("The form's version is missing; reload the page and try again.")
        try:
            asset = editing.asset_upload(
                actor=request.user,
                article=article,
                name=upload.name,
                content=upload,
                expected_version=int(version),
            )
        except publishing.EditConflict as error:
            return _error(" ".join(error.messages), status=409)
        except ValidationError as error:
            return _error(" ".join(error.messages))
        article.refresh_from_db(fields=["version"])
        removed = asset.removed_metadata
        return JsonResponse(
            {
                "id": asset.pk,
                "name": asset.original_name,
                "reference": markdown_reference(asset),
                "url": asset.get_absolute_url(),
                "is_image": asset.is_image,
                "version": article.version,
                "notice": removal_message(asset.original_name, removed) if removed else "",
            },
            status=201,
        )

    def autosave(self, request, object_id: str):
        """Keep the typed text (POST), replacing this editor's previous autosave."""
        article = self._editable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        fields = {name: request.POST.get(name, "") for name in ("title", "summary", "body", "tags")}
        saved = editing.autosave_store(actor=request.user, article=article, **fields)
        return JsonResponse({"saved_at": _clock(saved.saved_at)})

    def recover(self, request, object_id: str):
        """This editor's autosave (GET) if it is newer than the working draft, else null."""
        article = self._editable(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        autosave = editing.autosave_to_offer(request.user, article)
        if autosave is None:
            return JsonResponse({"autosave": None})
        return JsonResponse(
            {
                "autosave": {
                    "title": autosave.title,
                    "summary": autosave.summary,
                    "body": autosave.body,
                    "tags": autosave.tags,
                    "saved_at": _clock(autosave.saved_at),
                }
            }
        )

    def discard(self, request, object_id: str):
        """Forget this editor's autosave (POST): they chose the saved draft."""
        article = self._editable(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        editing.autosave_discard(actor=request.user, article=article)
        return JsonResponse({"autosave": None})


def _clock(moment) -> str:
    """The local time of day an editor recognises ("10:42"), as the site's time zone shows it."""
    return formats.time_format(timezone.localtime(moment), "H:i")
