"""Site search over the live revisions of published articles only.

Every query starts from ``public_listing()`` and reads only ``live_revision`` fields, so a working
draft, or an article that is not public, can never match: a word that exists only in a draft gets
exactly the answer of a word that exists nowhere. Both read a query as PostgreSQL's websearch
syntax does: every word must match, and ``OR`` between two words splits the query into
alternatives (``a b OR c`` matches both a and b, or c). PostgreSQL uses its full-text search (stemming,
weighted ranking, ``ts_headline`` snippets) over the document stored with each published article
(GIN-indexed; ``publishing/search_index.py``), so a query reads an index rather than re-parsing
every live revision. Other databases (SQLite) get a substring match over the live revision's
title, summary and text: no index, a scan of the published rows, fine at a few thousand articles.
Either way one query returns a page of results with their count (``selectors.paginate``).

Both index, and quote in snippets, ``body_text``: the plain text of the rendered ``body_html``, what
a reader of the page reads. The Markdown ``body`` holds what the page never shows (an unused
link-reference definition and its title), so it is never searched.

Snippets are built safely: the text is escaped first and only then are matches wrapped in ``<mark>``.
"""

import operator
import re
from dataclasses import dataclass
from functools import reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import Case, Expression, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from articles.publishing import search_index
from articles.publishing.search_index import SEARCH_CONFIG
from articles.web.caching import mark_public
from articles.web.selectors import paginate, public_listing

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
SNIPPET_WORDS = 30
# Private-use characters mark matches inside the raw text; they are turned into <mark> only after
# the text around them has been escaped.
START, STOP = "\ue000", "\ue001"
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: list[str]
    message: str | None
    # What matches: every word of any one alternative.
    alternatives: tuple[tuple[str, ...], ...] = ()


def _alternatives(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """The words split where websearch splits them: at ``or`` between two words, which binds
    looser than the words around it (``a b OR c`` is both a and b, or c); anywhere else (first,
    last, doubled) ``or`` is a word like any other."""
    alternatives: list[list[str]] = [[]]
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else "or"
        if word == "or" and alternatives[-1] and following != "or":
            alternatives.append([])
        else:
            alternatives[-1].append(word)
    return tuple(tuple(dict.fromkeys(group)) for group in alternatives)


def parse_query(raw: str) -> ParsedQuery:
    """The query's words, or a message saying why there is nothing to search for."""
    text = " ".join(raw.split())
    if not text:
        return ParsedQuery(text, [], "Type a word or phrase to search published articles.")
    if len(text) > MAX_QUERY_LENGTH:
        return ParsedQuery(
            text, [], f"That search is too long: use at most {MAX_QUERY_LENGTH} characters."
        )
    words = [word.lower() for word in WORD.findall(text)]
    terms = list(dict.fromkeys(words))
    if not terms:
        return ParsedQuery(text, [], "Search for words: use at least one letter or digit.")
    if len(terms) > MAX_TERMS:
        return ParsedQuery(text, [], f"That search has too many words: use at most {MAX_TERMS}.")
    return ParsedQuery(text, terms, None, _alternatives(words))


def safe_snippet(marked: str) -> SafeString:
    """Escape ``marked`` and turn its START/STOP markers into balanced ``<mark>`` elements."""
    parts = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308  (every text piece was escaped above)


def mark_terms(text: str, terms: list[str]) -> str:
    """A window of ``text`` around the first match of any term, with every match marked."""
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    words = text.split()
    first = next((i for i, word in enumerate(words) if pattern.search(word)), None)
    if first is None:
        return ""
    start = max(0, first - SNIPPET_WORDS // 3)
    window = " ".join(words[start : start + SNIPPET_WORDS])
    marked = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_WORDS < len(words) else ""
    return f"{prefix}{marked}{suffix}"


def _fallback_matches(alternatives: tuple[tuple[str, ...], ...]) -> QuerySet:
    """Every word of any alternative in the title, summary or body; ranked by where the words
    were found."""

    def anywhere(term: str) -> Q:
        return (
            Q(live_revision__title__icontains=term)
            | Q(live_revision__summary__icontains=term)
            | Q(live_revision__body_text__icontains=term)
        )

    matches = reduce(
        operator.or_, (reduce(operator.and_, map(anywhere, words)) for words in alternatives)
    )
    score: Expression = Value(0)
    for term in dict.fromkeys(term for words in alternatives for term in words):
        score = score + Greatest(
            Case(When(live_revision__title__icontains=term, then=Value(4)), default=Value(0)),
            Case(When(live_revision__summary__icontains=term, then=Value(2)), default=Value(0)),
            Case(When(live_revision__body_text__icontains=term, then=Value(1)), default=Value(0)),
            output_field=IntegerField(),
        )
    return (
        public_listing()
        .filter(matches)
        .annotate(rank=score)
        .order_by("-rank", "-published_at", "-pk")
    )


def _postgres_matches(text: str) -> QuerySet:
    """Full-text match on the stored document (GIN-indexed, written only for published articles:
    ``publishing/search_index.py``), title over summary over body, with ``ts_headline`` snippets.

    The public rule is asked too, so an article whose embargo end just passed never matches.
    """
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    return (
        public_listing()
        .filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                "live_revision__body_text",
                query,
                config=SEARCH_CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
            ),
        )
        .order_by("-rank", "-published_at", "-pk")
    )


def matching_articles(parsed: ParsedQuery) -> QuerySet:
    """Published articles whose live revision matches ``parsed``, best first."""
    if search_index.is_stored():
        return _postgres_matches(parsed.text)
    return _fallback_matches(parsed.alternatives)


def attach_snippets(articles, parsed: ParsedQuery) -> None:
    """Give each article of a result page a safe, highlighted ``snippet`` of its live body."""
    for article in articles:
        headline = getattr(article, "headline", None)
        if headline is not None:
            marked = " ".join(headline.split()) if START in headline else ""
        else:
            # The words, not the OR between them.
            words = [term for words in parsed.alternatives for term in words]
            marked = mark_terms(article.live_revision.body_text, words)
        article.snippet = safe_snippet(marked) if marked else ""


@require_safe
def search(request):
    parsed = parse_query(request.GET.get("q", ""))
    context = {"query": parsed.text, "message": parsed.message, "page_obj": None}
    shown = []
    if parsed.message is None:
        page = paginate(request, matching_articles(parsed))
        page.object_list = shown = list(page.object_list)
        attach_snippets(page.object_list, parsed)
        context["page_obj"] = page
    return mark_public(request, render(request, "articles/search.html", context), showing=shown)
