"""The exposure audit: try every way in as an outsider and report anything unpublished that gets out.

Two halves. **Configuration**: the settings that turned the Mythos exposure from possible into
certain (uploads under a publicly served directory, a route serving storage directly, a public bucket,
a page cache that stores private responses, DEBUG, wildcard hosts, a weak secret key) plus Django's
own deployment checks. **Probing**: for every article and asset that is not public, every door that
could serve it is requested anonymously, and the answer must be byte-identical to the 404 for an
object that never existed; then every public page (listings, feeds, sitemap, search, article pages
and the links they make) is fetched, and none may contain a non-public title, summary, sentence,
link or file.

"Byte-identical" covers the whole response shape: status, body, the telltale header values, every
header name in order, and the cookies set or deleted; the main doors are also asked with a forged
session cookie. In-process, the number of database queries each answer took must match too. Last,
the time taken is sampled for a few non-public objects against never-existing ones (see
``TIMING_THRESHOLD``).

Requests go through Django's test client in-process, or over HTTP to a running deployment.
"""

import hashlib
import html
import logging
import multiprocessing
import os
import re
import secrets
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from math import ceil
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import checks as django_checks
from django.core.signals import request_finished
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.urls import NoReverseMatch, reverse

from articles import checks
from articles.access import global_permission_holders
from articles.exposure import handling
from articles.models import Article, Asset, Revision
from articles.storage import asset_storage
from articles.validation import safe_download_name
from articles.web.views import ARTICLES_PER_PAGE

ERROR = "error"
WARNING = "warning"
# Deployment checks the configuration half reports itself, with its own wording and severity.
COVERED_CHECKS = {"security.W009", "security.W018", "embargo.E003"}
# Headers that could tell a hidden object from a missing one even when status and body agree.
TELLTALE_HEADERS = (
    "content-type",
    "content-disposition",
    "cache-control",
    "location",
    "etag",
    "last-modified",
    "x-robots-tag",
    "vary",
)
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
# Timing: for up to TIMING_OBJECTS non-public articles and as many assets, TIMING_SAMPLES requests
# alternating with the never-existing object's; a median more than TIMING_THRESHOLD times the
# never-existing one's, found again in a second round, is a leak (the first round alone may be noise).
TIMING_OBJECTS = 3
TIMING_SAMPLES = 15
TIMING_THRESHOLD = 1.3
# Any 32 characters look like a session key to Django; a forged one must change nothing.
FORGED_SESSION_KEY = "audit" + "0" * 27
MIN_MARKER_LENGTH = 12
MAX_MARKER_LENGTH = 200
LINK = re.compile(
    r"""(?:href|src)\s*=\s*["']([^"']+)["']"""
    r"""|content\s*=\s*["']((?:https?:/)?/[^"']*)["']"""
    r"""|<(?:loc|link|guid)>([^<]+)<"""
)
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which object, at which URL, by which vector, and the evidence."""

    severity: str
    object: str
    url: str
    vector: str
    evidence: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    requests: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def exit_code(self) -> int:
        """1 when anything leaks or a configuration error is found, else 0."""
        return 1 if self.errors else 0

    def as_dict(self) -> dict:
        return {
            "clean": not self.errors,
            "objects_checked": self.objects,
            "requests": self.requests,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
            "findings": [asdict(f) for f in self.findings],
        }


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    # Header names in the order sent (lower case, Set-Cookie apart), and each cookie set or deleted.
    header_names: tuple[str, ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    # Database queries the answer took (in-process only; None over HTTP).
    queries: int | None = None


Fetch = Callable[[str, str, dict], Response]


# --- configuration -------------------------------------------------------------------------------


def _config(severity: str, message: str, fix: str) -> Finding:
    return Finding(severity, "settings", "", "configuration", f"{message} Fix: {fix}")


def s3_client():
    """The boto3 client of the configured S3 asset storage."""
    return asset_storage().connection.meta.client


def bucket_findings(client, bucket: str) -> list[Finding]:
    """Whether the bucket's policy or ACL lets anyone read it (both asked, neither trusted alone)."""
    findings = []
    fix = (
        f"remove public statements from the policy of bucket “{bucket}”, set its ACL to private "
        "and turn on S3 Block Public Access; assets are served only through /assets/<token>/."
    )
    try:
        status = client.get_bucket_policy_status(Bucket=bucket)
        if status["PolicyStatus"]["IsPublic"]:
            findings.append(
                _config(ERROR, f"The bucket policy of “{bucket}” allows public reads.", fix)
            )
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
            findings.append(_unverifiable(bucket, "policy status", error))
    except BotoCoreError as error:
        findings.append(_unverifiable(bucket, "policy status", error))
    try:
        acl = client.get_bucket_acl(Bucket=bucket)
        for grant in acl.get("Grants", []):
            grantee = grant.get("Grantee", {}).get("URI")
            if grantee in PUBLIC_GRANTEES and grant["Permission"] in ("READ", "FULL_CONTROL"):
                who = grantee.rsplit("/", 1)[-1]
                findings.append(
                    _config(
                        ERROR,
                        f"The ACL of bucket “{bucket}” grants {grant['Permission']} to {who}.",
                        fix,
                    )
                )
    except (ClientError, BotoCoreError) as error:
        findings.append(_unverifiable(bucket, "ACL", error))
    return findings


def _unverifiable(bucket: str, what: str, error: Exception) -> Finding:
    return _config(
        WARNING,
        f"Could not read the {what} of bucket “{bucket}” ({error}), so it is not known to be private.",
        "let the audit's credentials call s3:GetBucketPolicyStatus and s3:GetBucketAcl.",
    )


def configuration_findings(*, s3=None) -> list[Finding]:
    """Settings that expose unpublished work, each with how to fix it."""
    findings = []
    if settings.DEBUG:
        findings.append(
            _config(
                ERROR,
                "DEBUG is on: error pages show settings, SQL, URL patterns and stack frames with "
                "draft content to anyone.",
                "unset DJANGO_DEBUG (or set it to false).",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        findings.append(
            _config(
                ERROR,
                "ALLOWED_HOSTS contains “*”: any Host header is accepted, so absolute links "
                "(share links, feeds) can be made to point elsewhere.",
                "set DJANGO_ALLOWED_HOSTS to the site's own host names.",
            )
        )
    key = str(settings.SECRET_KEY)
    if len(key) < 50 or key.startswith("django-insecure-") or len(set(key)) < 5:
        findings.append(
            _config(
                ERROR,
                "SECRET_KEY is short, default or generated for development: preview links and "
                "sessions signed with it can be forged.",
                "set DJANGO_SECRET_KEY to a random value of at least 50 characters, e.g. "
                '"$(python -c "import secrets; print(secrets.token_urlsafe(50))")".',
            )
        )
    if settings.EMBARGO_STORAGE == "s3":
        findings += bucket_findings(s3 or s3_client(), asset_storage().bucket_name)
    messages = django_checks.run_checks(
        include_deployment_checks=True,
        tags=[django_checks.Tags.security, django_checks.Tags.caches],
    )
    for message in messages:
        if message.level < django_checks.WARNING or message.id in COVERED_CHECKS:
            continue
        severity = ERROR if message.level >= django_checks.ERROR else WARNING
        text = f"{message.msg} ({message.id})"
        findings.append(
            _config(
                severity,
                text,
                message.hint
                or "see Django's deployment checklist (python manage.py check --deploy).",
            )
        )
    return findings


def people_findings() -> list[Finding]:
    """Non-superusers who read every draft, or who may edit accounts and groups (warnings)."""
    findings = [
        Finding(
            WARNING,
            f"user {holder.username}",
            "",
            "global permission",
            f"reads every unpublished article: holds {holder.permission} {holder.source}.",
        )
        for holder in global_permission_holders(["articles.view_article"])
    ]
    findings += [
        Finding(
            WARNING,
            f"user {holder.username}",
            "",
            "account administration",
            f"holds {holder.permission} {holder.source} without being a superuser: may edit "
            "other people's accounts or groups in the admin.",
        )
        for holder in global_permission_holders(checks.ACCOUNT_ADMIN_PERMISSIONS)
    ]
    return findings


# --- what must not get out -----------------------------------------------------------------------


@dataclass
class Secrets:
    """Everything non-public, in the forms a probe or a page scan looks for."""

    articles: list[tuple[str, str]] = field(default_factory=list)  # (slug, label)
    working_drafts: list[tuple[str, str]] = field(default_factory=list)
    assets: list[tuple[str, str, str, str]] = field(default_factory=list)  # token, name, key, label
    search_terms: dict[str, str] = field(default_factory=dict)  # query -> label
    markers: dict[str, tuple[str, str]] = field(default_factory=dict)  # text -> (label, what)
    hashes: dict[str, str] = field(default_factory=dict)  # sha256 -> label
    public_asset_tokens: set[str] = field(default_factory=set)
    public_slugs: list[str] = field(default_factory=list)


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


def _public_corpus(found: Secrets, live) -> tuple[str, list[tuple[Article, Revision, Revision]]]:
    """Every public text (a marker found in it is no secret), and the live articles with a newer
    draft, each as (article, that draft, its live revision)."""
    public_text = []
    drafts_of_live = []
    for article in live:
        found.public_slugs.append(article.slug)
        revision = article.live_revision
        public_text += [revision.title, revision.summary, *_text_segments(revision.body_html)]
        if article.latest_revision_id != article.live_revision_id:
            drafts_of_live.append((article, article.latest_revision, revision))
    return "\n".join(public_text), drafts_of_live


def collect_secrets() -> Secrets:
    """Gather every non-public article, working draft and asset in a fixed number of queries."""
    found = Secrets()
    hidden = (
        Article.objects.exclude(pk__in=Article.objects.published())
        .select_related("latest_revision")
        .order_by("slug")
    )
    live = (
        Article.objects.published()
        .select_related("live_revision", "latest_revision")
        .order_by("slug")
    )
    corpus, drafts_of_live = _public_corpus(found, live)

    def mark(text: str | None, label: str, what: str) -> None:
        text = (text or "").strip()[:MAX_MARKER_LENGTH]
        if len(text) >= MIN_MARKER_LENGTH and text not in corpus:
            found.markers.setdefault(text, (label, what))

    for article in hidden:
        label = f"article {article.slug} ({_state(article)})"
        found.articles.append((article.slug, label))
        revision = article.latest_revision
        if revision is None:
            continue
        found.search_terms.setdefault(revision.title, label)
        mark(revision.title, label, "title")
        mark(revision.summary, label, "summary")
        mark(_distinctive(revision.body_html), label, "body text")
        found.markers.setdefault(reverse("article", args=[article.slug]), (label, "URL"))
    for article, draft, current in drafts_of_live:
        label = f"unpublished working draft of {article.slug}"
        found.working_drafts.append((article.slug, label))
        if draft.title != current.title:
            found.search_terms.setdefault(draft.title, label)
            mark(draft.title, label, "title")
        if draft.summary != current.summary:
            mark(draft.summary, label, "summary")
        mark(_distinctive(draft.body_html, exclude=current.body_html), label, "body text")
    public_assets = Asset.objects.public()
    found.public_asset_tokens = set(public_assets.values_list("token", flat=True))
    public_hashes = set(public_assets.values_list("sha256", flat=True))
    for token, name, key, sha256, slug in (
        Asset.objects.exclude(pk__in=public_assets)
        .order_by("article__slug", "original_name")
        .values_list("token", "original_name", "file", "sha256", "article__slug")
    ):
        label = f"asset {name} of {slug}"
        found.assets.append((token, safe_download_name(name), key, label))
        if sha256 not in public_hashes:
            found.hashes.setdefault(sha256, label)
        found.markers.setdefault(f"/assets/{token}/", (label, "URL"))
    return found


def _trie_regex(words: Iterable[str]) -> re.Pattern | None:
    """One regex matching any of ``words``, built as a trie so a scan costs one pass per page."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return re.compile(build(trie))


# --- fetching ------------------------------------------------------------------------------------


def audit_host() -> str:
    """A host name the site accepts, for in-process requests."""
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


class InProcessFetcher:
    """Anonymous requests through Django's test client: no server, no network."""

    def __init__(self):
        self.client = Client(raise_request_exception=False, HTTP_HOST=audit_host())

    def __call__(self, method: str, path: str, headers: dict) -> Response:
        # Every request is a first visit: no cookie a previous answer set is sent back.
        self.client.cookies.clear()
        queries: list[str] = []

        def counted(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        # secure=True: the audit sees what an HTTPS visitor sees, without SSL redirects.
        with connection.execute_wrapper(counted):
            response = self.client.generic(method, path, secure=True, headers=headers)
        try:
            body = b"".join(response.streaming_content) if response.streaming else response.content
        finally:
            # Closing fires request_finished, whose close_old_connections would drop the caller's
            # connection (and its transaction); the test client guards its own closes the same way.
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        cookies = tuple(
            (name, "deleted" if morsel["max-age"] == 0 or not morsel.value else "set")
            for name, morsel in response.cookies.items()
        )
        return Response(
            response.status_code,
            body,
            {k.lower(): v for k, v in response.items()},
            header_names=tuple(k.lower() for k, _ in response.items()),
            cookies=cookies,
            queries=len(queries),
        )


class BadBaseURL(ValueError):
    """The --base-url is not an http(s) URL."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpFetcher:
    """Anonymous requests over real HTTP to a running deployment (redirects are not followed)."""

    def __init__(self, base_url: str, timeout: float = 30):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadBaseURL(f"“{base_url}” is not an http(s) URL.")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.opener = urllib.request.build_opener(_NoRedirects)
        self.timeout = timeout

    def __call__(self, method: str, path: str, headers: dict) -> Response:
        request = urllib.request.Request(self.base + path, method=method, headers=headers)  # noqa: S310  (scheme checked in __init__)
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return _http_response(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as answer:
            return _http_response(answer.code, answer.read(), answer.headers)


def _http_response(status: int, body: bytes, headers) -> Response:
    cookies = []
    for line in headers.get_all("Set-Cookie") or []:
        morsel = SimpleCookie(line)
        for name, value in morsel.items():
            deleted = value["max-age"] == "0" or not value.value or "1970" in value["expires"]
            cookies.append((name, "deleted" if deleted else "set"))
    names = tuple(name.lower() for name in headers if name.lower() != "set-cookie")
    return Response(
        status,
        body,
        {name.lower(): value for name, value in headers.items()},
        header_names=names,
        cookies=tuple(cookies),
    )


# --- probing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    object: str
    vector: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    identifiers: tuple[str, ...] = ()


def _encoded(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


FORGED = " with a forged session cookie"


def forged_session() -> tuple[tuple[str, str], ...]:
    """A Cookie header naming a session that does not exist."""
    return (("Cookie", f"{settings.SESSION_COOKIE_NAME}={FORGED_SESSION_KEY}"),)


def article_probes(slug: str, label: str) -> list[Probe]:
    """Every way to ask for an article by its slug."""
    url = reverse("article", args=[slug])
    ids = (slug, slug.upper())
    return [
        Probe(label, "article URL", "GET", url, identifiers=ids),
        Probe(label, "article URL" + FORGED, "GET", url, forged_session(), ids),
        Probe(label, "article URL (HEAD)", "HEAD", url, identifiers=ids),
        Probe(label, "article URL without trailing slash", "GET", url.rstrip("/"), (), ids),
        Probe(
            label, "article URL upper case", "GET", reverse("article", args=[slug.upper()]), (), ids
        ),
        Probe(
            label, "article URL percent-encoded", "GET", url.replace(slug, _encoded(slug)), (), ids
        ),
        Probe(
            label,
            "article URL percent-encoded" + FORGED,
            "GET",
            url.replace(slug, _encoded(slug)),
            forged_session(),
            ids,
        ),
        Probe(label, "article URL ?preview=1", "GET", url + "?preview=1", (), ids),
        Probe(label, "article URL ?format=json", "GET", url + "?format=json", (), ids),
        *draft_probes(slug, label),
    ]


def draft_probes(slug: str, label: str) -> list[Probe]:
    url = reverse("article-draft", args=[slug])
    ids = (slug, slug.upper())
    return [
        Probe(label, "working-draft URL", "GET", url, identifiers=ids),
        Probe(label, "working-draft URL" + FORGED, "GET", url, forged_session(), ids),
    ]


def storage_prefixes() -> list[tuple[str, Path | None]]:
    """URL prefixes that map straight onto asset storage, with the directory each serves from."""
    prefixes: list[tuple[str, Path | None]] = []
    root = checks.asset_root()
    if root is not None:
        static_url = "/" + str(settings.STATIC_URL or "static/").lstrip("/")
        whitenoise_root = getattr(settings, "WHITENOISE_ROOT", None)
        for public in checks.public_roots():
            if root.is_relative_to(public):
                is_whitenoise_root = whitenoise_root and Path(whitenoise_root).resolve() == public
                prefixes.append(("/" if is_whitenoise_root else static_url, public))
    for route in checks.routes_serving_files():
        literal = re.split(r"[(<]", route.lstrip("^"), maxsplit=1)[0]
        prefixes.append(("/" + literal.lstrip("/"), root))
    return prefixes


def asset_probes(token: str, name: str, key: str, label: str) -> list[Probe]:
    """The asset door with GET, HEAD and a Range request, plus any direct storage URL."""
    url = reverse("asset", args=[token, name])
    ids = (token, name)
    probes = [
        Probe(label, "asset URL", "GET", url, identifiers=ids),
        Probe(label, "asset URL" + FORGED, "GET", url, forged_session(), ids),
        Probe(label, "asset URL (HEAD)", "HEAD", url, identifiers=ids),
        Probe(label, "asset URL (Range)", "GET", url, (("Range", "bytes=0-10"),), ids),
    ]
    root = checks.asset_root()
    for prefix, served in storage_prefixes():
        relative = key
        if root is not None and served is not None and root != served:
            relative = str((root / key).relative_to(served))
        probes.append(
            Probe(label, f"storage served at {prefix}", "GET", prefix + relative, (), (key,))
        )
    return probes


def _normalise(response: Response, identifiers: Iterable[str]) -> tuple:
    body = response.body
    headers = {name: response.headers.get(name, "") for name in TELLTALE_HEADERS}
    for identifier in identifiers:
        if identifier:
            body = body.replace(identifier.encode(), b"\0")
            headers = {k: v.replace(identifier, "\0") for k, v in headers.items()}
    return response.status, body, headers


def difference(response: Response, reference: Response, ids, reference_ids) -> str | None:
    """How ``response`` differs from the never-existing 404, or None if it is the same."""
    return _content_difference(response, reference, ids, reference_ids) or shape_difference(
        response, reference
    )


def _content_difference(response: Response, reference: Response, ids, reference_ids) -> str | None:
    raw = _normalise(response, ())
    expected = _normalise(reference, ())
    if raw == expected:
        return None
    # Some error pages echo the requested path (DEBUG's 404 does): compare without it.
    masked = _normalise(response, ids)
    if masked == _normalise(reference, reference_ids):
        return None
    status, body, headers = masked
    ref_status, ref_body, ref_headers = _normalise(reference, reference_ids)
    if status != ref_status:
        return f"answered {status}, not the {ref_status} of a never-existing object"
    changed = [name for name in TELLTALE_HEADERS if headers[name] != ref_headers[name]]
    if changed:
        name = changed[0]
        return f"header {name}: {headers[name]!r} differs from the never-existing 404's {ref_headers[name]!r}"
    if body != ref_body:
        return f"body differs from the never-existing 404 ({len(body)} vs {len(ref_body)} bytes)"
    return None


def shape_difference(response: Response, reference: Response) -> str | None:
    """How the rest of the answer's shape (header order, cookies, work done) differs, if it does."""
    if response.header_names != reference.header_names:
        return (
            f"headers in the order {', '.join(response.header_names)}; a never-existing object's "
            f"come as {', '.join(reference.header_names)}"
        )
    if sorted(response.cookies) != sorted(reference.cookies):
        shown = ", ".join(f"{name} {what}" for name, what in response.cookies) or "none"
        expected = ", ".join(f"{name} {what}" for name, what in reference.cookies) or "none"
        return f"cookies set or deleted: {shown}; for a never-existing object: {expected}"
    if None not in (response.queries, reference.queries) and response.queries != reference.queries:
        return (
            f"took {response.queries} database queries; a never-existing object takes "
            f"{reference.queries}, so the time taken tells them apart"
        )
    return None


class Auditor:
    """Runs one audit: configuration, probes of every non-public object, and public-page scans."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        base_url: str | None = None,
        progress=None,
        s3=None,
        workers: int = 1,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.fetch = fetch
        self.clock = clock
        self.workers = workers
        self.base_url = base_url
        self.progress = progress or (lambda iterable, **kwargs: iterable)
        self.s3 = s3
        self.report = Report()
        self.fetched: set[str] = set()

    def get(self, method: str, path: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
        self.report.requests += 1
        return self.fetch(method, path, dict(headers))

    def run(self) -> Report:
        self.report.findings += configuration_findings(s3=self.s3)
        self.report.findings += people_findings()
        self.report.findings += handling.confidential_link_findings()
        found = collect_secrets()
        self.report.objects = len(found.articles) + len(found.working_drafts) + len(found.assets)
        self.pattern = _trie_regex(found.markers)
        self.found = found
        self.probe_objects(found)
        self.sample_timing(found)
        self.scan_public_pages(found)
        return self.report

    # Probes ----------------------------------------------------------------------------------

    def references(self) -> dict[str, tuple[Response, tuple[str, ...]]]:
        """The answer for a never-existing article and asset, per vector."""
        slug = f"never-existed-{secrets.token_hex(8)}"
        token = secrets.token_urlsafe(24)
        key = f"{token[:2]}/{secrets.token_hex(16)}"
        probes = [
            *article_probes(slug, ""),
            *asset_probes(token, "never-existed.png", key, ""),
        ]
        references = {
            p.vector: (self.get(p.method, p.path, p.headers), p.identifiers) for p in probes
        }
        status = references["article URL"][0].status
        if status != 404:
            # Every probe is judged against this answer; if it is not a 404, "same" proves nothing.
            self.leak(
                "the site",
                probes[0].path,
                "never-existing article",
                f"answered {status} instead of 404, so hidden and missing objects cannot be told "
                "apart by this audit; fix the site's error (see its log) and audit again",
            )
        return references

    def probe_objects(self, found: Secrets) -> None:
        self.references_by_vector = self.references()
        probes = [p for slug, label in found.articles for p in article_probes(slug, label)]
        probes += [p for slug, label in found.working_drafts for p in draft_probes(slug, label)]
        probes += [p for asset in found.assets for p in asset_probes(*asset)]
        self.report.requests += len(probes)
        results = self.map_probes(probes)
        for finding in self.progress(results, total=len(probes), desc="Probing non-public objects"):
            if finding is not None:
                self.report.findings.append(finding)

    def map_probes(self, probes: list[Probe]) -> Iterable[Finding | None]:
        """Judge every probe, in forked worker processes when there is more than one."""
        if self.workers <= 1 or len(probes) < 1000:
            return map(self.judge, probes)
        global _forked_auditor
        _forked_auditor = self
        # Each worker opens its own database connection; none may inherit the parent's.
        connections.close_all()
        pool = multiprocessing.get_context("fork").Pool(self.workers)
        return _closing(pool, pool.imap(_judge_in_worker, probes, chunksize=64))

    def judge(self, probe: Probe) -> Finding | None:
        """Request one probe and compare it with the never-existing object's answer."""
        response = self.fetch(probe.method, probe.path, dict(probe.headers))
        reference, reference_ids = self.references_by_vector[probe.vector]
        evidence = difference(response, reference, probe.identifiers, reference_ids)
        leaked = self.found.hashes.get(hashlib.sha256(response.body).hexdigest())
        if leaked and response.body:
            evidence = f"served the bytes of {leaked}" + (f"; {evidence}" if evidence else "")
        if not evidence:
            return None
        url = probe.path if probe.method == "GET" else f"{probe.method} {probe.path}"
        return Finding(ERROR, probe.object, url, probe.vector, evidence)

    def sample_timing(self, found: Secrets) -> None:
        """Time a few non-public objects against never-existing ones; report a confirmed excess."""
        never_slug = f"never-existed-{secrets.token_hex(8)}"
        pairs = [
            (label, reverse("article", args=[slug]), reverse("article", args=[never_slug]))
            for slug, label in found.articles[:TIMING_OBJECTS]
        ]
        pairs += [
            (
                label,
                reverse("asset", args=[token, name]),
                reverse("asset", args=[secrets.token_urlsafe(24), name]),
            )
            for token, name, _key, label in found.assets[:TIMING_OBJECTS]
        ]
        for label, path, never in self.progress(pairs, total=len(pairs), desc="Sampling timing"):
            for _round in range(2):  # a second round confirms the first, or it was noise
                hidden, missing = self.interleaved_medians(path, never)
                ratio = hidden / missing if missing > 0 else 1.0
                if ratio <= TIMING_THRESHOLD:
                    break
            else:
                self.leak(
                    label,
                    path,
                    "timing" + FORGED,
                    f"median {hidden * 1000:.1f} ms against {missing * 1000:.1f} ms for a "
                    f"never-existing object (ratio {ratio:.2f}, above {TIMING_THRESHOLD} in two "
                    f"rounds of {TIMING_SAMPLES} interleaved samples): the time taken tells them "
                    "apart",
                )

    def interleaved_medians(self, path: str, never: str) -> tuple[float, float]:
        """Median seconds for ``path`` and ``never``, asked alternately (order flipped each time)."""
        timings: dict[str, list[float]] = {path: [], never: []}
        for sample in range(TIMING_SAMPLES):
            for asked in (path, never) if sample % 2 == 0 else (never, path):
                started = self.clock()
                self.get("GET", asked, forged_session())
                timings[asked].append(self.clock() - started)
        return statistics.median(timings[path]), statistics.median(timings[never])

    def leak(self, obj: str, url: str, vector: str, evidence: str) -> None:
        self.report.findings.append(Finding(ERROR, obj, url, vector, evidence))

    # Public pages ----------------------------------------------------------------------------

    def public_pages(self, found: Secrets) -> list[tuple[str, str]]:
        """(vector, path) for every page anyone can reach from the front door."""
        pages = [("home page", reverse("home"))]
        last = max(1, ceil(len(found.public_slugs) / ARTICLES_PER_PAGE))
        pages += [("home pagination", f"{reverse('home')}?page={n}") for n in range(2, last + 2)]
        for name, vector in (
            ("feed-rss", "RSS feed"),
            ("feed-atom", "Atom feed"),
            ("sitemap", "sitemap"),
            ("robots", "robots.txt"),
            ("tag-index", "tag index"),
        ):
            try:
                pages.append((vector, reverse(name)))
            except NoReverseMatch:
                continue
        pages += [("public article page", reverse("article", args=[s])) for s in found.public_slugs]
        return pages

    def scan_public_pages(self, found: Secrets) -> None:
        search = reverse("search")
        pages = self.public_pages(found)
        links: dict[str, None] = {}
        for vector, path in self.progress(pages, total=len(pages), desc="Scanning public pages"):
            response = self.get("GET", path)
            self.fetched.add(path)
            if path == reverse("home") and response.status != 200:
                self.leak("the site", path, vector, f"answered {response.status}, not 200")
            self.scan(response, path, vector)
            links.update(dict.fromkeys(self.links(response)))
        terms = list(found.search_terms)
        for term in self.progress(terms, total=len(terms), desc="Searching for non-public titles"):
            path = f"{search}?{urlencode({'q': term})}"
            self.scan(self.get("GET", path), path, "search", query=term)
        follow = [link for link in links if link not in self.fetched]
        for path in self.progress(follow, total=len(follow), desc="Following public links"):
            self.fetched.add(path)
            self.scan(self.get("GET", path), path, "link from a public page")

    def links(self, response: Response) -> list[str]:
        """Same-site paths a public page links to (href, src, og:image, feed and sitemap URLs)."""
        if response.status != 200:
            return []
        text = response.body.decode("utf-8", "replace")
        own_hosts = {audit_host(), urlsplit(settings.EMBARGO_BASE_URL).netloc}
        if self.base_url:
            own_hosts.add(urlsplit(self.base_url).netloc)
        paths = []
        for match in LINK.finditer(text):
            link = html.unescape((match[1] or match[2] or match[3]).strip())
            parts = urlsplit(urljoin("/", link))
            if parts.scheme not in ("", "http", "https") or not parts.path.startswith("/"):
                continue
            if parts.netloc and parts.netloc not in own_hosts:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if self._worth_following(path):
                paths.append(path)
        return paths

    @staticmethod
    def _worth_following(path: str) -> bool:
        # Asset links are not fetched: a public asset is public, and a link to a non-public one
        # is already reported by the page scan (its URL is a marker).
        static_url = "/" + str(settings.STATIC_URL or "static/").lstrip("/")
        return not path.startswith(("/admin/", "/accounts/", "/preview/", "/assets/", static_url))

    def scan(self, response: Response, path: str, vector: str, *, query: str = "") -> None:
        """Report any non-public text, link or file bytes in a public response."""
        leaked = self.found.hashes.get(hashlib.sha256(response.body).hexdigest())
        if leaked and response.body:
            self.leak(leaked, path, vector, f"served the bytes of {leaked}")
        if self.pattern is None:
            return
        text = html.unescape(response.body.decode("utf-8", "replace"))
        if "&" in text:
            # Feeds escape HTML inside XML: undo both layers.
            text += "\n" + html.unescape(text)
        if query:
            # The search page repeats the query; that echo is not a leak.
            text = text.replace(query, "")
        reported = set()
        for match in self.pattern.finditer(text):
            marker = match.group(0)
            label, what = self.found.markers[marker]
            if (label, what) in reported:
                continue
            reported.add((label, what))
            shown = marker if len(marker) <= 80 else marker[:77] + "…"
            self.leak(label, path, vector, f"contains the {what} of {label}: “{shown}”")


_forked_auditor: Auditor | None = None


def _judge_in_worker(probe: Probe) -> Finding | None:
    if _forked_auditor is None:
        raise RuntimeError("This worker process was started without its auditor.")
    return _forked_auditor.judge(probe)


def _closing(pool, results: Iterable) -> Iterable:
    with pool:
        yield from results


def default_workers() -> int:
    """Worker processes for probing: one per core (at most 4), or 1 when forking cannot work.

    A forked worker sees only committed data in a database it can open itself, so an in-memory
    SQLite database (the test suite's) or an open transaction means probing in this process.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    connection = connections["default"]
    in_memory = getattr(connection, "is_in_memory_db", lambda: False)()
    if connection.in_atomic_block or in_memory:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def run_audit(
    *, base_url: str | None = None, progress=None, s3=None, workers: int | None = None
) -> Report:
    """Audit the configured site in-process, or the deployment at ``base_url`` over HTTP."""
    fetch = HttpFetcher(base_url) if base_url else InProcessFetcher()
    workers = default_workers() if workers is None else workers
    # Thousands of expected 404s would bury the report in "Not Found" log lines.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        auditor = Auditor(fetch, base_url=base_url, progress=progress, s3=s3, workers=workers)
        return auditor.run()
    finally:
        request_log.setLevel(level)
