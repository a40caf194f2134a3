"""What must not get out: every non-public article, draft and asset, and the text that betrays each.

Gathered in a fixed number of queries. A phrase (title, summary, the most distinctive sentence of a
body) is a marker only if no public text contains it: a headline that an older, public revision
already carries gives nothing away. Which phrases public text contains is found in one pass over
it with an Aho-Corasick automaton, whatever the number of hidden articles.
"""

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import ahocorasick
from django.urls import reverse

from articles.models import Article, Asset, Rendition, Status
from articles.validation import safe_download_name

MIN_MARKER_LENGTH = 12
MAX_MARKER_LENGTH = 200
# Words shorter than this are too common to be searched for one article (and may be stop words).
MIN_WORD_LENGTH = 6
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"\w+")


@dataclass
class Secrets:
    """Everything non-public, in the forms a probe or a page scan looks for."""

    articles: list[tuple[str, str]] = field(default_factory=list)  # (slug, label)
    working_drafts: list[tuple[str, str]] = field(default_factory=list)
    assets: list[tuple[str, str, str, str]] = field(default_factory=list)  # token, name, key, label
    # Non-public image assets' copies: (token, variant, name, label), as /assets/<token>/<variant>/.
    renditions: list[tuple[str, str, str, str]] = field(default_factory=list)
    search_terms: dict[str, str] = field(default_factory=dict)  # query -> label
    markers: dict[str, tuple[str, str]] = field(default_factory=dict)  # text -> (label, what)
    hashes: dict[str, str] = field(default_factory=dict)  # sha256 -> label
    public_asset_tokens: set[str] = field(default_factory=set)
    public_slugs: list[str] = field(default_factory=list)
    # label -> the state that decides which code path a door takes for it (see ``plan``).
    states: dict[str, str] = field(default_factory=dict)
    # label -> words of its hidden text that no public text contains, lower case (see ``searches``).
    hidden_words: dict[str, list[str]] = field(default_factory=dict)


class Matcher:
    """Finds every marker in a text in one pass (leftmost-longest, non-overlapping)."""

    def __init__(self, markers: Iterable[str]):
        self.automaton = ahocorasick.Automaton()
        for marker in markers:
            self.automaton.add_word(marker, marker)
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def find(self, text: str) -> Iterator[str]:
        if self.empty:
            return iter(())
        return (marker for _end, marker in self.automaton.iter_long(text))

    def contained_in(self, text: str) -> set[str]:
        """The markers that occur anywhere in ``text``, overlapping ones included."""
        if self.empty:
            return set()
        return {marker for _end, marker in self.automaton.iter(text)}


def _text_segments(body_html: str) -> list[str]:
    return [html.unescape(part).strip() for part in TAG.split(body_html) if part.strip()]


def _distinctive(body_html: str, exclude: str = "") -> str | None:
    """The longest run of text in a rendered body (not present in ``exclude``), capped in length."""
    candidates = [s for s in _text_segments(body_html) if s not in exclude]
    if not candidates:
        return None
    longest = max(candidates, key=len)[:MAX_MARKER_LENGTH].strip()
    return longest if len(longest) >= MIN_MARKER_LENGTH else None


def _state(article: Article) -> str:
    return article.get_status_display().lower()


def _shape(text: str) -> str:
    """The kinds of character in a slug or file name: a URL variant rewrites them one by one
    (upper case leaves digits as they are), so each shape may take a path of its own."""
    kinds = [
        kind
        for kind, present in (
            ("letters", any(c.isalpha() for c in text)),
            ("digits", any(c.isdigit() for c in text)),
            ("other", any(not c.isalnum() for c in text)),
        )
        if present
    ]
    return "+".join(kinds) or "empty"


def _article_state(article: Article) -> str:
    """Status, classification, what the revisions say and the slug's shape: what a door's answer
    may depend on."""
    parts = [article.status, article.classification, f"slug {_shape(article.slug)}"]
    if article.status == Status.PUBLISHED:
        parts.append("embargo ended")  # published, yet not public
    if article.live_revision_id is not None:
        parts.append("once public")
        if article.latest_revision_id != article.live_revision_id:
            parts.append("edited since")
    if article.latest_revision_id is None:
        parts.append("no revision")
    return ", ".join(parts)


class _Candidates:
    """Markers in the order found; phrases are kept only if public text turns out not to hold them."""

    def __init__(self):
        self.entries: list[tuple[str, str, str, bool]] = []  # text, label, what, is a phrase

    def phrase(self, text: str | None, label: str, what: str) -> None:
        text = (text or "").strip()[:MAX_MARKER_LENGTH]
        if len(text) >= MIN_MARKER_LENGTH:
            self.entries.append((text, label, what, True))

    def always(self, text: str, label: str, what: str) -> None:
        self.entries.append((text, label, what, False))

    def hidden_words(self, public_text: str) -> dict[str, list[str]]:
        """Each label's words (from its phrases) that no public text contains, even inside a word."""
        words: dict[str, list[str]] = {}
        for text, label, _what, phrase in self.entries:
            if phrase:
                found = words.setdefault(label, [])
                found += [w for w in WORD.findall(text.casefold()) if len(w) >= MIN_WORD_LENGTH]
        public = Matcher({word for found in words.values() for word in found})
        in_public = public.contained_in(public_text.casefold())
        return {
            label: [w for w in dict.fromkeys(found) if w not in in_public]
            for label, found in words.items()
        }

    def markers(self, public_text: str) -> dict[str, tuple[str, str]]:
        public = Matcher({text for text, _, _, phrase in self.entries if phrase})
        in_public = public.contained_in(public_text)
        markers: dict[str, tuple[str, str]] = {}
        for text, label, what, phrase in self.entries:
            if not (phrase and text in in_public):
                markers.setdefault(text, (label, what))
        return markers


def _public_corpus(found: Secrets) -> tuple[str, list[Article]]:
    """Every public text (a marker found in it is no secret), and the live articles with a newer draft."""
    live = (
        Article.objects.published()
        .select_related("live_revision", "latest_revision")
        .order_by("slug")
    )
    public_text = []
    drafts_of_live = []
    for article in live:
        found.public_slugs.append(article.slug)
        revision = article.live_revision
        public_text += [revision.title, revision.summary, *_text_segments(revision.body_html)]
        if article.latest_revision_id != article.live_revision_id:
            drafts_of_live.append(article)
    return "\n".join(public_text), drafts_of_live


def _hidden_articles(found: Secrets, candidates: _Candidates) -> None:
    hidden = (
        Article.objects.exclude(pk__in=Article.objects.published())
        .select_related("latest_revision")
        .order_by("slug")
    )
    for article in hidden:
        label = f"article {article.slug} ({_state(article)})"
        found.articles.append((article.slug, label))
        found.states[label] = _article_state(article)
        revision = article.latest_revision
        if revision is None:
            continue
        found.search_terms.setdefault(revision.title, label)
        candidates.phrase(revision.title, label, "title")
        candidates.phrase(revision.summary, label, "summary")
        candidates.phrase(_distinctive(revision.body_html), label, "body text")
        candidates.always(reverse("article", args=[article.slug]), label, "URL")


def _working_drafts(found: Secrets, candidates: _Candidates, drafts_of_live) -> None:
    for article in drafts_of_live:
        label = f"unpublished working draft of {article.slug}"
        found.working_drafts.append((article.slug, label))
        found.states[label] = f"{article.classification}, slug {_shape(article.slug)}"
        draft, current = article.latest_revision, article.live_revision
        if draft.title != current.title:
            found.search_terms.setdefault(draft.title, label)
            candidates.phrase(draft.title, label, "title")
        if draft.summary != current.summary:
            candidates.phrase(draft.summary, label, "summary")
        candidates.phrase(
            _distinctive(draft.body_html, exclude=current.body_html), label, "body text"
        )


def _hidden_assets(found: Secrets, candidates: _Candidates) -> None:
    public_assets = Asset.objects.public()
    found.public_asset_tokens = set(public_assets.values_list("token", flat=True))
    public_hashes = set(public_assets.values_list("sha256", flat=True))
    hidden = Asset.objects.exclude(pk__in=public_assets)
    public_slugs = set(found.public_slugs)
    rows = hidden.order_by("article__slug", "original_name").values_list(
        "token",
        "original_name",
        "file",
        "sha256",
        "article__slug",
        "article__status",
        "article__classification",
        "content_type",
    )
    for token, name, key, sha256, slug, status, classification, content_type in rows:
        label = f"asset {name} of {slug}"
        found.assets.append((token, safe_download_name(name), key, label))
        # A public article's file outside its live revision takes another path than a draft's.
        article = "of a public article" if slug in public_slugs else status
        found.states[label] = (
            f"{article}, {classification}, {content_type.split('/')[0]}, name {_shape(name)}"
        )
        if sha256 not in public_hashes:
            found.hashes.setdefault(sha256, label)
        candidates.always(f"/assets/{token}/", label, "URL")
    _hidden_renditions(found, hidden, public_assets)


def _hidden_renditions(found: Secrets, hidden_assets, public_assets) -> None:
    public_hashes = set(
        Rendition.objects.filter(asset__in=public_assets).values_list("sha256", flat=True)
    )
    rows = (
        Rendition.objects.filter(asset__in=hidden_assets)
        .order_by("asset__article__slug", "asset__original_name", "width", "format")
        .values_list(
            "asset__token",
            "width",
            "format",
            "asset__original_name",
            "asset__article__slug",
            "sha256",
        )
    )
    for token, width, fmt, name, slug, sha256 in rows:
        label = f"rendition {width}w.{fmt} of asset {name} of {slug}"
        found.renditions.append((token, f"{width}w.{fmt}", safe_download_name(name), label))
        found.states[label] = f"{found.states.get(f'asset {name} of {slug}', '')}, {fmt}"
        if sha256 not in public_hashes:
            found.hashes.setdefault(sha256, label)


def collect_secrets() -> Secrets:
    """Gather every non-public article, working draft, asset and rendition in a few queries."""
    found = Secrets()
    candidates = _Candidates()
    corpus, drafts_of_live = _public_corpus(found)
    _hidden_articles(found, candidates)
    _working_drafts(found, candidates, drafts_of_live)
    _hidden_assets(found, candidates)
    found.markers = candidates.markers(corpus)
    found.hidden_words = candidates.hidden_words(corpus)
    return found
