"""``/api/v1/``: articles, tags and search as JSON, each answer asked of ``access`` like the pages.

Who reads (``readers``): the owner of a working personal token, or nobody (the public); the
answers' shapes for the OpenAPI document are ``schemas``. Nothing the request names besides the
declared parameters is read, so ``status=draft``, ``preview=1``, ``include=drafts``, ``fields=…`` or
``ordering=…`` change nothing. Public answers carry ``ETag``/``Last-Modified``, honour conditional
requests, and go through the page cache, so a withdrawal purges them with the pages; answers to
token requests are private, no-store, never cached.
"""

import hashlib
import json
from datetime import datetime

from django.core import signing
from django.db.models import Prefetch, Q
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from articles import access
from articles.api import guessing
from articles.api.readers import ReaderThrottle, TokenAuth, public_reader, reader_of
from articles.api.schemas import ArticleOut, ArticlePage, ErrorOut, TagPage
from articles.models import ApiToken, Article, Tag
from articles.web import search
from articles.web.caching import mark_private, mark_public

PAGE_SIZE = 20
CURSOR_SALT = "embargo.api.cursor"


api = NinjaAPI(
    title="Embargo content API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), public_reader],
    throttle=[ReaderThrottle("public"), ReaderThrottle("token")],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def credential_refused(request, exc: AuthenticationError):
    """The 401 of a bad credential, whatever its shape, counted against the client's address."""
    guessing.refusal_count(request)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


# --- rendering -----------------------------------------------------------------------------------


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def article_data(request, article: Article, revision, *, is_public: bool) -> dict:
    """What the API says of one article: ``revision`` only (the live one, for the public)."""
    return {
        "slug": article.slug,
        "url": _absolute(request, article.get_absolute_url()),
        "title": revision.title,
        "summary": revision.summary,
        "body_html": revision.body_html,
        "body_markdown": revision.body,
        "tags": [tag.name for tag in revision.tags.all()],
        "published_at": (
            article.published_at.isoformat() if is_public and article.published_at else None
        ),
        "assets": [
            {
                "name": asset.download_name,
                "content_type": asset.content_type,
                "size": asset.size,
                "url": _absolute(request, asset.get_absolute_url()),
            }
            for asset in revision.assets.all()
        ],
        "featured_image": None,
        "is_public": is_public,
    }


def respond(request, data: dict, *, showing=(), modified: datetime | None = None):
    """JSON, public (cacheable, conditional) for the public, private no-store for a token."""
    content = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    if isinstance(getattr(request, "auth", None), ApiToken):
        response = HttpResponse(content, content_type="application/json")
        patch_vary_headers(response, ["Authorization"])
        return mark_private(response)
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = etag
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    # A shared cache must not answer a token's request with the public's answer.
    patch_vary_headers(response, ["Authorization"])
    return mark_public(request, response, showing=showing)


def _revisions_prefetch(field: str):
    return [
        Prefetch(f"{field}__tags", queryset=Tag.objects.order_by("name")),
        f"{field}__assets",
    ]


def _cursor(values: list) -> str:
    return signing.dumps(values, salt=CURSOR_SALT, compress=True)


def _after(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        return signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise access.deny() from None


def _latest_modified(articles, revisions) -> datetime | None:
    moments = [a.published_at for a in articles if a.published_at] + [
        r.created_at for r in revisions
    ]
    return max(moments, default=None)


# --- routes --------------------------------------------------------------------------------------


@api.get("/articles", response={200: ArticlePage}, url_name="articles")
def article_list(request, cursor: str | None = None, tag: str | None = None):
    """Published articles, newest first (for a token: also its owner's granted drafts)."""
    reader = reader_of(request)
    is_token = isinstance(request.auth, ApiToken)
    queryset = Article.objects.with_public_flag().select_related("live_revision", "latest_revision")
    if is_token:
        queryset = queryset.filter(pk__in=Article.objects.visible_to(reader).values("pk"))
        queryset = queryset.prefetch_related(
            *_revisions_prefetch("live_revision"), *_revisions_prefetch("latest_revision")
        ).order_by("-pk")
    else:
        queryset = (
            queryset.published()
            .prefetch_related(*_revisions_prefetch("live_revision"))
            .order_by("-published_at", "-pk")
        )
    if tag:
        # The tags of the revision each article is shown with: live if public, else the draft.
        shown = Q(is_public=True, live_revision__tags__slug=tag)
        if is_token:
            shown |= Q(is_public=False, latest_revision__tags__slug=tag)
        queryset = queryset.filter(shown).distinct()
    after = _after(cursor)
    if after is not None:
        if is_token:
            queryset = queryset.filter(pk__lt=after[0])
        else:
            moment = datetime.fromisoformat(after[0])
            queryset = queryset.filter(
                Q(published_at__lt=moment) | Q(published_at=moment, pk__lt=after[1])
            )
    rows = list(queryset[: PAGE_SIZE + 1])
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    items, revisions = [], []
    for article in page:
        revision = article.live_revision if article.is_public else article.latest_revision
        revisions.append(revision)
        items.append(article_data(request, article, revision, is_public=article.is_public))
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = _cursor([last.pk] if is_token else [last.published_at.isoformat(), last.pk])
    return respond(
        request,
        {"items": items, "next_cursor": next_cursor},
        showing=page,
        modified=_latest_modified(page, revisions),
    )


def _one(request, slug: str, *, working_draft: bool = False):
    view = access.article_view(reader_of(request), slug, working_draft=working_draft)
    data = article_data(request, view.article, view.revision, is_public=view.is_public)
    return respond(
        request,
        data,
        showing=[view.article],
        modified=_latest_modified([view.article], [view.revision]),
    )


@api.get("/articles/{slug}", response={200: ArticleOut, 404: ErrorOut}, url_name="article")
def article_detail(request, slug: str):
    """One article: its live revision, or for a token whose owner may read it, its working draft."""
    return _one(request, slug)


@api.get(
    "/articles/{slug}/draft", response={200: ArticleOut, 404: ErrorOut}, url_name="article-draft"
)
def article_draft(request, slug: str):
    """The working draft of an article, for a token whose owner holds ``view`` on it."""
    return _one(request, slug, working_draft=True)


@api.get("/tags", response={200: TagPage}, url_name="tags")
def tag_list(request):
    """The tags the reader can see on some article."""
    tags = Tag.objects.visible_to(reader_of(request)).order_by("name")
    return respond(request, {"items": [{"name": t.name, "slug": t.slug} for t in tags]}, showing=[])


@api.get("/search", response={200: ArticlePage, 400: ErrorOut}, url_name="search")
def article_search(request, q: str = ""):
    """The site's search: published live revisions only, for everyone (tokens too)."""
    parsed = search.parse_query(q)
    if parsed.message is not None:
        response = HttpResponse(
            json.dumps({"detail": parsed.message}), content_type="application/json", status=400
        )
        return mark_public(request, response) if request.auth == "public" else response
    found = list(
        search.matching_articles(parsed).prefetch_related("live_revision__assets")[:PAGE_SIZE]
    )
    items = [article_data(request, a, a.live_revision, is_public=True) for a in found]
    return respond(
        request,
        {"items": items, "next_cursor": None},
        showing=found,
        modified=_latest_modified(found, [a.live_revision for a in found]),
    )
