"""The public side of the audit: every page anyone can reach must hold nothing non-public.

Listings, feeds, sitemap, tag index, every public article page, the content API's listing, the
searches for non-public text (``searches``), and the same-site links those pages make. Each response is
scanned once for every marker at a time (see ``hidden.Matcher``) and for the bytes of any
non-public file.
"""

import hashlib
import html
import json
import re
from collections.abc import Iterator
from math import ceil
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from articles.exposure.fetching import Fetch, Response, audit_host
from articles.exposure.hidden import Matcher, Secrets
from articles.exposure.report import Finding, leak
from articles.exposure.searches import Search
from articles.exposure.workers import Outcome
from articles.web.views import ARTICLES_PER_PAGE

LINK = re.compile(
    r"""(?:href|src)\s*=\s*["']([^"']+)["']"""
    r"""|content\s*=\s*["']((?:https?:/)?/[^"']*)["']"""
    r"""|<(?:loc|link|guid)>([^<]+)<"""
)
LISTED_PAGES = (
    ("feed-rss", "RSS feed"),
    ("feed-atom", "Atom feed"),
    ("sitemap", "sitemap"),
    ("robots", "robots.txt"),
    ("tag-index", "tag index"),
    ("api:tags", "API tags"),
)


def public_pages(found: Secrets) -> list[tuple[str, str]]:
    """(vector, path) for every page anyone can reach from the front door."""
    pages = [("home page", reverse("home"))]
    last = max(1, ceil(len(found.public_slugs) / ARTICLES_PER_PAGE))
    pages += [("home pagination", f"{reverse('home')}?page={n}") for n in range(2, last + 2)]
    for name, vector in LISTED_PAGES:
        try:
            pages.append((vector, reverse(name)))
        except NoReverseMatch:
            continue
    pages += [("public article page", reverse("article", args=[s])) for s in found.public_slugs]
    # The API's live view of an article with a newer draft: the one whose draft could slip out.
    pages += [("API article", reverse("api:article", args=[s])) for s, _ in found.working_drafts]
    return pages


class PageScanner:
    """Fetches public pages and reports any marker, non-public file or link to one in them."""

    def __init__(self, fetch: Fetch, found: Secrets, *, base_url: str | None = None):
        self.fetch = fetch
        self.hashes = found.hashes
        self.markers = found.markers
        self.matcher = Matcher(found.markers)
        self.own_hosts = {audit_host(), urlsplit(settings.EMBARGO_BASE_URL).netloc}
        if base_url:
            self.own_hosts.add(urlsplit(base_url).netloc)

    def page(self, item: tuple[str, str]) -> Outcome:
        vector, path = item
        response = self.fetch("GET", path, {})
        findings = self.scan(response, path, vector)
        if path == reverse("home") and response.status != 200:
            findings.append(leak("the site", path, vector, f"answered {response.status}, not 200"))
        return Outcome(findings, self.links(response))

    def search(self, search: Search) -> Outcome:
        path = f"{reverse('search')}?{urlencode({'q': search.query})}"
        response = self.fetch("GET", path, {})
        findings = self.scan(response, path, "search", query=search.query)
        if response.status >= 500:
            # An error page shows no results: it proves nothing about what the search would show.
            evidence = (
                f"answered {response.status}, so the search was not judged; see the site's log"
            )
            findings.append(leak(search.describe(), path, "search", evidence))
        return Outcome(findings)

    def api_listing(self) -> Outcome:
        """Every page of the API's article list, following its cursors to the end."""
        findings: list[Finding] = []
        path, requests = reverse("api:articles"), 0
        while path:
            response = self.fetch("GET", path, {})
            requests += 1
            findings += self.scan(response, path, "API article list")
            data = _json(response) if response.status == 200 else {}
            cursor = data.get("next_cursor") if isinstance(data, dict) else None
            path = f"{reverse('api:articles')}?{urlencode({'cursor': cursor})}" if cursor else ""
        return Outcome(findings, requests=requests)

    def links(self, response: Response) -> list[str]:
        """Same-site paths a public page links to (href, src, og:image, feed and sitemap URLs)."""
        if response.status != 200:
            return []
        paths = []
        for match in LINK.finditer(response.body.decode("utf-8", "replace")):
            link = html.unescape((match[1] or match[2] or match[3]).strip())
            parts = urlsplit(urljoin("/", link))
            if parts.scheme not in ("", "http", "https") or not parts.path.startswith("/"):
                continue
            if parts.netloc and parts.netloc not in self.own_hosts:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if _worth_following(path):
                paths.append(path)
        return paths

    def scan(self, response: Response, path: str, vector: str, *, query: str = "") -> list[Finding]:
        """Any non-public text, link or file bytes in a public response."""
        findings = []
        leaked = self.hashes.get(hashlib.sha256(response.body).hexdigest())
        if leaked and response.body:
            findings.append(leak(leaked, path, vector, f"served the bytes of {leaked}"))
        reported = set()
        for marker in self.matcher.find(_readable(response, query)):
            label, what = self.markers[marker]
            if (label, what) in reported:
                continue
            reported.add((label, what))
            shown = marker if len(marker) <= 80 else marker[:77] + "…"
            findings.append(leak(label, path, vector, f"contains the {what} of {label}: “{shown}”"))
        return findings


def _readable(response: Response, query: str) -> str:
    """The response's text as a reader sees it: entities decoded, JSON strings unescaped."""
    text = html.unescape(response.body.decode("utf-8", "replace"))
    if "&" in text:
        # Feeds escape HTML inside XML: undo both layers.
        text += "\n" + html.unescape(text)
    if response.headers.get("content-type", "").startswith("application/json"):
        text += "\n" + "\n".join(_strings(_json(response)))
    if query:
        # The search page repeats the query; that echo is not a leak.
        text = text.replace(query, "")
    return text


def _json(response: Response):
    try:
        return json.loads(response.body)
    except ValueError:
        return {}


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _worth_following(path: str) -> bool:
    # Asset links are not fetched: a public asset is public, and a link to a non-public one
    # is already reported by the page scan (its URL is a marker).
    static_url = "/" + str(settings.STATIC_URL or "static/").lstrip("/")
    return not path.startswith(("/admin/", "/accounts/", "/preview/", "/assets/", static_url))
