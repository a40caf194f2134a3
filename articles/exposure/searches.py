"""Which searches the audit asks, and for which hidden articles and drafts each is asked.

A leaking search shows a hidden article on its results page, and the page scan reports it. With
up to ``TITLE_SEARCHES`` distinct titles (or ``exhaustive``), each title is searched, as a reader
would type it. Beyond that: the titles of the objects the request plan sampled (every state), and,
for every hidden article and draft, a word of its text that no public text contains, not even
inside a longer word, so that no public result can crowd it off the first page. The search takes
OR (websearch syntax, on every database), so up to ``WORDS_PER_SEARCH`` such words share one query,
as long as the articles they were chosen for fit on that page. An article none of whose words is
hidden keeps its title search.
"""

from collections import defaultdict
from dataclasses import dataclass

from articles.exposure.hidden import Secrets
from articles.web.search import MAX_QUERY_LENGTH, MAX_TERMS
from articles.web.views import ARTICLES_PER_PAGE

TITLE_SEARCHES = 100
# "or" is a word of the query too: one fewer than the search's limit.
WORDS_PER_SEARCH = MAX_TERMS - 1


@dataclass(frozen=True)
class Search:
    query: str
    objects: tuple[str, ...]  # the labels of what it was asked for

    def describe(self) -> str:
        shown = ", ".join(self.objects[:3])
        more = len(self.objects) - 3
        return shown + (f" and {more} more" if more > 0 else "") if self.objects else "the site"


def title_searches(found: Secrets) -> list[Search]:
    """One per non-public title; titles that differ only in case or spacing are one search."""
    queries: dict[str, Search] = {}
    for title, label in found.search_terms.items():
        queries.setdefault(" ".join(title.split()).casefold(), Search(title, (label,)))
    return list(queries.values())


def search_plan(
    found: Secrets,
    *,
    exhaustive: bool = False,
    sampled: frozenset[str] = frozenset(),
) -> list[Search]:
    """The searches to ask (see the module's docstring)."""
    titles = title_searches(found)
    if exhaustive or len(titles) <= TITLE_SEARCHES:
        return titles
    chosen, uncovered = _cover(found.hidden_words)
    kept = sampled | uncovered
    return [s for s in titles if kept & set(s.objects)] + _word_searches(chosen)


def _cover(hidden_words: dict[str, list[str]]) -> tuple[list[tuple[str, list[str]]], set[str]]:
    """Words, each with the labels whose text holds it, that cover every label they can; and the
    labels no hidden word covers. A word held by more than a page of labels is not used."""
    holders: dict[str, list[str]] = defaultdict(list)
    for label, words in hidden_words.items():
        for word in words:
            holders[word].append(label)
    covered: set[str] = set()
    chosen: list[tuple[str, list[str]]] = []
    uncovered: set[str] = set()
    for label, words in hidden_words.items():
        if label in covered:
            continue
        fitting = [word for word in words if len(holders[word]) <= ARTICLES_PER_PAGE]
        if not fitting:
            uncovered.add(label)
            continue
        # The word that covers the most not yet covered; the longest of those (rarer, no stop word).
        word = max(fitting, key=lambda w: (len(set(holders[w]) - covered), len(w)))
        chosen.append((word, holders[word]))
        covered.update(holders[word])
    return chosen, uncovered


def _word_searches(chosen: list[tuple[str, list[str]]]) -> list[Search]:
    """The chosen words as queries: joined by OR, a page's worth of articles to a query."""
    searches: list[Search] = []
    words: list[str] = []
    labels: list[str] = []
    for word, holders in chosen:
        query = " OR ".join([*words, word])
        fits = (
            len(words) < WORDS_PER_SEARCH
            and len(query) <= MAX_QUERY_LENGTH
            and len(labels) + len(holders) <= ARTICLES_PER_PAGE
        )
        if words and not fits:
            searches.append(Search(" OR ".join(words), tuple(dict.fromkeys(labels))))
            words, labels = [], []
        words.append(word)
        labels += holders
    if words:
        searches.append(Search(" OR ".join(words), tuple(dict.fromkeys(labels))))
    return searches
