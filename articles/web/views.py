"""The reader's doors. Each looks the object up, asks ``access``, renders, and sets cache headers."""

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.http import require_safe

from articles import access, asset_delivery, publishing, renditions, soft_cache
from articles.marking import text_fingerprint
from articles.models import Article, AuditEvent, Classification
from articles.publishing import audit_record
from articles.web.caching import mark_private, mark_public, page_generation

# ARTICLES_PER_PAGE: still read from here by the exposure audit.
from articles.web.selectors import ARTICLES_PER_PAGE as ARTICLES_PER_PAGE
from articles.web.selectors import paginate, public_listing


@require_safe
def home(request):
    page = paginate(request, public_listing())
    response = render(request, "articles/home.html", {"page_obj": page})
    return mark_public(request, response, showing=page.object_list)


def _render_article(
    request,
    view: access.ArticleView,
    *,
    body_html: str | None = None,
    preview_token: str | None = None,
    mark=None,
):
    return render(
        request,
        "articles/article_detail.html",
        {
            "article": view.article,
            "revision": view.revision,
            "body_html": view.revision.body_html if body_html is None else body_html,
            "banner": view.banner,
            "draft_url": view.draft_url,
            "is_public": view.is_public,
            "published_at": view.article.published_at if view.is_public else None,
            "author_name": view.article.author_name,
            # On a share preview: asset URLs through the link's door, tags not linked.
            "preview_token": preview_token,
            # On a share preview: the recipient's visible line, and their fingerprint in the words.
            "mark_line": publishing.mark_line(mark) if mark else None,
            "summary_html": (
                text_fingerprint.fingerprint_html(escape(view.revision.summary), mark.pk)
                if mark
                else None
            ),
        },
    )


def _audit_route(request, preview_token: str | None = None) -> str:
    """The path for the audit trail. A share token is a credential: its readers may not hold it."""
    return request.path.replace(preview_token, "…") if preview_token else request.path


def _generation(request) -> str | None:
    """The page-cache generation this request started with; None when it may not use the cache."""
    return getattr(request, "page_cache_generation", None)


def _record_private_view(
    request,
    view: access.ArticleView,
    *,
    action: str = AuditEvent.Action.VIEW,
    preview_token: str | None = None,
    **kwargs,
) -> None:
    audit_record(
        action=action,
        actor=request.user,
        article=view.article,
        route=_audit_route(request, preview_token),
        detail={"revision": view.revision.number},
        **kwargs,
    )


# A public article's page as rendered, kept for every reader who gets the same bytes. The key holds
# all that the page can differ by: the live revision shown (revisions never change) and when it was
# published, whether the reader is signed in (the Account link) and is offered the working draft
# (a fresh answer from their own lookup, never remembered) -- and the page-cache generation, which
# every change of what is public replaces in its own transaction, as it does for the page cache.
# Only public pages are kept, and only reached after this request's own lookup found the article
# public with that live revision: a withdrawn, ended or replaced page is never read again.
PUBLIC_PAGE_KEY = (
    "embargo:public-article:{generation}:{article}:{revision}:{published}:{signed_in}:{draft}"
)


def _generation_before_lookup(request) -> str | None:
    """With the generation token in a shared cache, the one current before this request's lookup.

    Read before the article is: a change committed between the lookup and a later read would key
    what the lookup found under the new generation. (The database counter is read with the row.)
    """
    if not settings.EMBARGO_GENERATION_IN_CACHE:
        return None
    return _generation(request) or page_generation()


def _public_page_key(request, view: access.ArticleView, generation: str | None) -> str:
    if generation is None:
        # The counter read with the article's row, in the same statement: what is rendered below
        # is read after it, so a change committed since has a newer generation.
        generation = f"db{view.article.page_cache_generation}"
    return PUBLIC_PAGE_KEY.format(
        generation=generation,
        article=view.article.pk,
        revision=view.revision_id,
        published=view.article.published_at.timestamp() if view.article.published_at else "",
        signed_in=request.user.is_authenticated,
        draft=view.draft_url is not None,
    )


def _public_article_page(request, view: access.ArticleView, generation: str | None) -> HttpResponse:
    """The public article's page: rendered once, then the same bytes for every reader it fits."""
    key = _public_page_key(request, view, generation)
    content = soft_cache.cache_get(key)
    if content is not None:
        return HttpResponse(content)
    response = _render_article(request, view)
    soft_cache.cache_set(key, response.content, timeout=settings.EMBARGO_PUBLIC_MAX_AGE)
    return response


@require_safe
def article_detail(request, slug: str):
    generation = _generation_before_lookup(request)
    view = access.article_view(request.user, slug)
    if view.is_public:
        response = _public_article_page(request, view, generation)
        return mark_public(request, response, showing=[view.article])
    _record_private_view(request, view)
    return _render_article(request, view)


@require_safe
def article_draft(request, slug: str):
    view = access.article_view(request.user, slug, working_draft=True)
    _record_private_view(request, view)
    return _render_article(request, view)


ASSET_LINK = re.compile(r'(?P<attr>(?:src|href)=")/assets/')


@require_safe
def preview(request, token: str):
    link = access.preview_link_for(token)
    view = access.preview_view(link)
    # Asset links go through this link's own asset door, so they work for a reader without an account.
    body_html = ASSET_LINK.sub(rf"\g<attr>/preview/{token}/assets/", view.revision.body_html)
    body_html = renditions.through_preview(body_html, token)
    mark = publishing.mark_for(link)
    body_html = text_fingerprint.fingerprint_html(body_html, mark.pk)
    _record_private_view(
        request,
        view,
        action=AuditEvent.Action.PREVIEW_USE,
        preview_link=link,
        preview_token=token,
    )
    response = _render_article(request, view, body_html=body_html, preview_token=token, mark=mark)
    response.embargo_no_referrer = True
    return response


def _asset_response(
    request,
    asset,
    *,
    is_public: bool,
    preview_link=None,
    preview_token: str | None = None,
    rendition=None,
    marked=None,
):
    if not is_public:
        audit_record(
            action=AuditEvent.Action.ASSET_VIEW,
            actor=request.user,
            preview_link=preview_link,
            article=asset.article,
            asset=asset,
            route=_audit_route(request, preview_token),
        )
    # A rendition or a marked copy is served under its asset's visibility and name.
    served = marked or rendition or asset
    # A public PDF may open in the browser's viewer (which a sandboxed document may not load);
    # a private one stays a download, so it never renders inside the site's origin.
    inline_pdf = is_public and asset.content_type == "application/pdf"
    attachment = not (asset.is_image or inline_pdf)
    filename = _download_name(asset, rendition, served.content_type)
    if not is_public and asset_delivery.redirects_private_assets():
        redirect = asset_delivery.presigned_redirect(
            served, attachment=attachment, filename=filename
        )
        return mark_private(redirect, no_referrer=preview_link is not None)
    # EMBARGO_ASSET_DELIVERY: stream or x-accel; with x-accel, nginx sets the Content-Length.
    response = asset_delivery.body_response(served, attachment=attachment, filename=filename)
    if "X-Accel-Redirect" not in response:
        response["Content-Length"] = str(served.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'" if inline_pdf else "default-src 'none'; sandbox"
    )
    # Ranges are not served: a partial response is the whole answer or nothing.
    response["Accept-Ranges"] = "none"
    if is_public:
        response["ETag"] = f'"{served.sha256}"'
        return mark_public(request, response, showing=[asset.article])
    return mark_private(response, no_referrer=preview_link is not None)


def _reader_copy(request, asset, *, is_public: bool, rendition=None):
    """A restricted article's unpublished files reach its granted readers only as copies marked
    for each of them (``publishing.marks``), so a leaked one names who let it out."""
    if is_public or asset.article.classification != Classification.RESTRICTED:
        return None
    return publishing.marked_copy(asset, request.user, rendition=rendition)


@require_safe
def asset_download(request, token: str, name: str):
    asset, is_public = access.asset_for(request.user, token, name, generation=_generation(request))
    return _asset_response(
        request,
        asset,
        is_public=is_public,
        marked=_reader_copy(request, asset, is_public=is_public),
    )


@require_safe
def preview_asset(request, preview_token: str, token: str, name: str):
    link = access.preview_link_for(preview_token)
    asset, is_public = access.asset_for(request.user, token, name, preview_link=link)
    return _asset_response(
        request,
        asset,
        is_public=is_public,
        preview_link=link,
        preview_token=preview_token,
        marked=publishing.marked_copy(asset, link),
    )


def _download_name(asset, rendition, content_type: str) -> str:
    """The file name a download is saved under: the asset's, with the served file's extension."""
    stem, _, extension = asset.download_name.rpartition(".")
    if rendition is not None:
        stem, extension = f"{stem}-{rendition.width}", rendition.format
    if renditions.CONTENT_TYPES.get(extension, content_type) != content_type:
        # A marked copy of a GIF is a PNG (articles/marking/images.py).
        extension = renditions.EXTENSIONS[content_type]
    return f"{stem}.{extension}"


def _rendition_or_deny(asset, variant: str):
    # Asked only once the asset itself may be served: a hidden asset's variants cost no query.
    rendition = renditions.rendition_of(asset, variant)
    if rendition is None:
        raise access.deny()
    return rendition


@require_safe
def asset_rendition(request, token: str, variant: str, name: str):
    asset, is_public = access.asset_for(request.user, token, name, generation=_generation(request))
    rendition = _rendition_or_deny(asset, variant)
    marked = _reader_copy(request, asset, is_public=is_public, rendition=rendition)
    return _asset_response(request, asset, is_public=is_public, rendition=rendition, marked=marked)


@require_safe
def preview_asset_rendition(request, preview_token: str, token: str, variant: str, name: str):
    link = access.preview_link_for(preview_token)
    asset, is_public = access.asset_for(request.user, token, name, preview_link=link)
    rendition = _rendition_or_deny(asset, variant)
    return _asset_response(
        request,
        asset,
        is_public=is_public,
        preview_link=link,
        preview_token=preview_token,
        rendition=rendition,
        marked=publishing.marked_copy(asset, link, rendition=rendition),
    )


@login_required
@require_safe
def account(request):
    drafts = (
        Article.objects.granted_to(request.user)
        .exclude(pk__in=Article.objects.published())
        .select_related("latest_revision")
        .order_by("-updated_at")
    )
    return render(request, "articles/account.html", {"visible_drafts": drafts})
