"""The doors a non-public object could leak through, and how an answer is judged.

Every probe asks anonymously; its answer must equal the answer for an object that never existed,
for the same vector: status, body, the telltale header values, every header name in order, the
cookies set or deleted, and (in-process) the number of database queries.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from articles import checks
from articles.exposure.fetching import Response

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
# Any 32 characters look like a session key to Django; a forged one must change nothing.
FORGED_SESSION_KEY = "audit" + "0" * 27
FORGED = " with a forged session cookie"
# A bearer token of the right shape that no one was issued: the API must refuse it alike for all.
FORGED_API_TOKEN = "emb_audit" + "0" * 34


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


def asset_probes(
    token: str,
    name: str,
    key: str,
    label: str,
    prefixes: list[tuple[str, Path | None]] | None = None,
) -> list[Probe]:
    """The asset door with GET, HEAD and a Range request, plus any direct storage URL.

    ``prefixes``: ``storage_prefixes()``, if already found (it walks the URL patterns and resolves
    paths: once per audit, not once per asset).
    """
    url = reverse("asset", args=[token, name])
    ids = (token, name)
    probes = [
        Probe(label, "asset URL", "GET", url, identifiers=ids),
        Probe(label, "asset URL" + FORGED, "GET", url, forged_session(), ids),
        Probe(label, "asset URL (HEAD)", "HEAD", url, identifiers=ids),
        Probe(label, "asset URL (Range)", "GET", url, (("Range", "bytes=0-10"),), ids),
    ]
    root = checks.asset_root()
    for prefix, served in storage_prefixes() if prefixes is None else prefixes:
        relative = key
        if root is not None and served is not None and root != served:
            relative = str((root / key).relative_to(served))
        probes.append(
            Probe(label, f"storage served at {prefix}", "GET", prefix + relative, (), (key,))
        )
    return probes


def rendition_probes(token: str, variant: str, name: str, label: str) -> list[Probe]:
    """A resized copy of a non-public image, at its own URL: it must 404 like its original."""
    url = reverse("asset-rendition", args=[token, variant, name])
    ids = (token, variant, name)
    return [
        Probe(label, "rendition URL", "GET", url, identifiers=ids),
        Probe(label, "rendition URL" + FORGED, "GET", url, forged_session(), ids),
    ]


def api_probes(slug: str, label: str) -> list[Probe]:
    """The content API's article and draft routes, without a token and with a forged one."""
    ids = (slug, slug.upper())
    forged = (("Authorization", f"Bearer {FORGED_API_TOKEN}"),)
    return [
        *api_draft_probes(slug, label),
        Probe(label, "API article", "GET", reverse("api:article", args=[slug]), (), ids),
        Probe(
            label,
            "API article with a forged token",
            "GET",
            reverse("api:article", args=[slug]),
            forged,
            ids,
        ),
    ]


def api_draft_probes(slug: str, label: str) -> list[Probe]:
    ids = (slug, slug.upper())
    return [
        Probe(label, "API working draft", "GET", reverse("api:article-draft", args=[slug]), (), ids)
    ]


def reference_probes() -> list[Probe]:
    """One probe per vector for objects that never existed: the answers every probe must equal."""
    slug = f"never-existed-{secrets.token_hex(8)}"
    token = secrets.token_urlsafe(24)
    key = f"{token[:2]}/{secrets.token_hex(16)}"
    return [
        *article_probes(slug, ""),
        *api_probes(slug, ""),
        *asset_probes(token, "never-existed.png", key, ""),
        *rendition_probes(token, "480w.webp", "never-existed.png", ""),
    ]


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
