"""The reader's reads: what a public listing shows, and one page of it with its count in one query."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet, Window

from articles import access
from articles.models import Article, Tag

ARTICLES_PER_PAGE = 20


def public_listing() -> QuerySet:
    """Published articles with what a listing shows, in a fixed number of queries."""
    return (
        Article.objects.published()
        .select_related("live_revision", "author", "live_revision__featured_image")
        .prefetch_related(
            Prefetch("live_revision__tags", queryset=Tag.objects.order_by("name")),
            # No query when no card has a featured image.
            "live_revision__featured_image__renditions",
        )
        .order_by("-published_at", "-pk")
    )


# Far past the last page of any site; a larger number would overflow the database's OFFSET.
MAX_PAGE_NUMBER = 10**9


def _page_number(request) -> int:
    """The ``?page=`` asked for; anything but a whole number from 1 to ``MAX_PAGE_NUMBER`` is the 404."""
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        raise access.deny() from None
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise access.deny()
    return number


def paginate(request, queryset: QuerySet, per_page: int = ARTICLES_PER_PAGE) -> Page:
    """The requested page, or the 404 for a page number that is not a page (no empty last pages).

    The total comes with the rows (``COUNT(*) OVER ()``), so a page costs one query however many
    articles match, rather than a count and then the page (for search: the match twice).
    """
    number = _page_number(request)
    offset = (number - 1) * per_page
    rows = list(queryset.annotate(matches_in_all=Window(Count("pk")))[offset : offset + per_page])
    if not rows and number > 1:
        raise access.deny()
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    paginator.count = rows[0].matches_in_all if rows else 0  # what the window counted
    return Page(rows, number, paginator)
