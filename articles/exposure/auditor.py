"""The exposure audit: try every way in as an outsider and report anything unpublished that gets out.

Two halves. **Configuration** (``config``): the settings, buckets and people that expose unpublished
work. **Probing**: for every article, working draft, asset and rendition that is not public, every
door that could serve it (``probes``) is requested anonymously, its URL-shape variants for a sample
of every state (``plan``), and the answer must equal the one for an object that never existed; then every public page (``pages``) is fetched, and none may
contain a non-public title, summary, sentence, link or file (``hidden``). Last, the time taken is
sampled for a few non-public objects against never-existing ones (see ``TIMING_THRESHOLD``).

Requests go through Django's test client in-process, or over HTTP to a running deployment
(``fetching``); probes are judged in parallel (``workers``).
"""

import hashlib
import logging
import multiprocessing
import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterable

from django.db import connections
from django.test import override_settings
from django.urls import reverse

from articles.exposure import handling
from articles.exposure.config import configuration_findings, people_findings
from articles.exposure.fetching import Fetch, HttpFetcher, InProcessFetcher, Response
from articles.exposure.hidden import Secrets, collect_secrets
from articles.exposure.pages import PageScanner, public_pages
from articles.exposure.plan import request_plan
from articles.exposure.probes import FORGED, Probe, difference, forged_session, reference_probes
from articles.exposure.report import ERROR, Finding, Report, leak
from articles.exposure.searches import search_plan
from articles.exposure.workers import Outcome, Workers

# Timing: for up to TIMING_OBJECTS non-public articles and as many assets, TIMING_SAMPLES requests
# alternating with the never-existing object's; a median more than TIMING_THRESHOLD times the
# never-existing one's, found again in a second round, is a leak (the first round alone may be noise).
TIMING_OBJECTS = 3
TIMING_SAMPLES = 15
TIMING_THRESHOLD = 1.3

# A search ORs nine words over every public text (about 24 ms of CPU at 10,000 articles on SQLite,
# ten denials' worth): a few hundred of them are worth the workers' start, where a few hundred
# denials are not (``workers.PROCESSES_FROM``).
SEARCHES_IN_PROCESSES_FROM = 100

References = dict[str, tuple[Response, tuple[str, ...]]]


class Auditor:
    """Runs one audit: configuration, probes of every non-public object, and public-page scans."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        base_url: str | None = None,
        progress=None,
        s3=None,
        workers: int | Workers = 1,
        parallel: str = "process",
        clock: Callable[[], float] = time.perf_counter,
        exhaustive: bool = False,
        seed: int | None = None,
    ):
        self.fetch = fetch
        self.exhaustive = exhaustive
        # Which objects' variants are asked changes every run (so over runs every object is),
        # unless a seed is given to ask the same again.
        self.seed = secrets.randbelow(2**32) if seed is None else seed
        self.clock = clock
        self.base_url = base_url
        self.progress = progress or (lambda iterable, **kwargs: iterable)
        self.s3 = s3
        self.workers = workers if isinstance(workers, Workers) else Workers(workers, parallel)
        self.report = Report()

    def get(self, method: str, path: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
        self.report.requests += 1
        return self.fetch(method, path, dict(headers))

    def run(self) -> Report:
        self.report.findings += configuration_findings(s3=self.s3)
        self.report.findings += people_findings()
        self.report.findings += handling.confidential_link_findings()
        found = collect_secrets()
        # A rendition is probed with its asset, not counted apart: it is a copy of that object.
        self.report.objects = len(found.articles) + len(found.working_drafts) + len(found.assets)
        plan = request_plan(found, exhaustive=self.exhaustive, seed=self.seed)
        self.report.sampling = plan.describe()
        self.probe_objects(found, plan.probes)
        self.sample_timing(found)
        self.scan_public_pages(found, plan.varied_labels)
        return self.report

    def gather(
        self, work, items: list, describe, desc: str, *, processes_from: int | None = None
    ) -> list[str]:
        """Judge ``items`` with the workers, record what they found; return the links found."""
        links: list[str] = []
        outcomes = self.workers.map(work, items, describe, processes_from=processes_from)
        for outcome in self.progress(outcomes, total=len(items), desc=desc):
            self.report.requests += outcome.requests
            self.report.findings += outcome.findings
            links += outcome.links
        return links

    # Probes ----------------------------------------------------------------------------------

    def references(self) -> References:
        """The answer for a never-existing article, asset and rendition, per vector."""
        probes = reference_probes()
        references = {
            p.vector: (self.get(p.method, p.path, p.headers), p.identifiers) for p in probes
        }
        status = references["article URL"][0].status
        if status != 404:
            # Every probe is judged against this answer; if it is not a 404, "same" proves nothing.
            self.report.findings.append(
                leak(
                    "the site",
                    probes[0].path,
                    "never-existing article",
                    f"answered {status} instead of 404, so hidden and missing objects cannot be "
                    "told apart by this audit; fix the site's error (see its log) and audit again",
                )
            )
        return references

    def probe_objects(self, found: Secrets, probes: list[Probe]) -> None:
        references = self.references()

        def judge(probe: Probe) -> Outcome:
            finding = self.judge(probe, references, found.hashes)
            return Outcome([finding] if finding else [])

        self.gather(judge, probes, _describe, "Probing non-public objects")

    def judge(self, probe: Probe, references: References, hashes: dict[str, str]) -> Finding | None:
        """Request one probe and compare it with the never-existing object's answer."""
        response = self.fetch(probe.method, probe.path, dict(probe.headers))
        reference, reference_ids = references[probe.vector]
        if response.status == 429 and reference.status != 429:
            # A rate limit answers alike for everyone; it hides the answer, so nothing is judged.
            return leak(
                probe.object,
                _describe(probe),
                probe.vector,
                "rate-limited (429), so not judged: let the audit's address past the site's rate "
                "limit (EMBARGO_API_RATE_PUBLIC) and audit again",
            )
        evidence = difference(response, reference, probe.identifiers, reference_ids)
        leaked = hashes.get(hashlib.sha256(response.body).hexdigest())
        if leaked and response.body:
            evidence = f"served the bytes of {leaked}" + (f"; {evidence}" if evidence else "")
        if not evidence:
            return None
        return Finding(ERROR, probe.object, _describe(probe), probe.vector, evidence)

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
                self.report.findings.append(
                    leak(
                        label,
                        path,
                        "timing" + FORGED,
                        f"median {hidden * 1000:.1f} ms against {missing * 1000:.1f} ms for a "
                        f"never-existing object (ratio {ratio:.2f}, above {TIMING_THRESHOLD} in "
                        f"two rounds of {TIMING_SAMPLES} interleaved samples): the time taken "
                        "tells them apart",
                    )
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

    # Public pages ----------------------------------------------------------------------------

    def scan_public_pages(self, found: Secrets, sampled: frozenset[str]) -> None:
        scanner = PageScanner(self.fetch, found, base_url=self.base_url)
        # The API's list is one item (each page's cursor comes from the page before it); first
        # among the pages, so that one worker follows its cursors while the others scan pages.
        listing = ("API article list", reverse("api:articles"))
        pages = [listing, *public_pages(found)]

        def scan(page: tuple[str, str]) -> Outcome:
            return scanner.api_listing() if page == listing else scanner.page(page)

        links = self.gather(scan, pages, lambda page: page[1], "Scanning public pages")
        searches = search_plan(found, exhaustive=self.exhaustive, sampled=sampled)
        self.gather(
            scanner.search,
            searches,
            lambda s: f"search {s.query}",
            "Searching hidden text",
            processes_from=SEARCHES_IN_PROCESSES_FROM,
        )
        fetched = {path for _vector, path in pages}
        follow = [
            ("link from a public page", link)
            for link in dict.fromkeys(links)
            if link not in fetched
        ]
        self.gather(scanner.page, follow, lambda page: page[1], "Following public links")


def _describe(probe: Probe) -> str:
    return probe.path if probe.method == "GET" else f"{probe.method} {probe.path}"


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


HTTP_THREADS = 8
UNTHROTTLED = "1000000/s"
# Refused credentials the in-process audit may send before the lock-out (every probe is one).
UNLOCKED = 10**9


def run_audit(
    *,
    base_url: str | None = None,
    progress=None,
    s3=None,
    workers: int | None = None,
    exhaustive: bool = False,
    seed: int | None = None,
) -> Report:
    """Audit the configured site in-process, or the deployment at ``base_url`` over HTTP.

    ``exhaustive``: every variant of every door for every object, not a sample of each state
    (``plan``); ``seed`` repeats a run's sample.
    """
    fetch: Fetch
    if base_url:
        fetch, parallel = HttpFetcher(base_url), "thread"
        workers = HTTP_THREADS if workers is None else workers
    else:
        fetch, parallel = InProcessFetcher(), "process"
        workers = default_workers() if workers is None else workers
        # In-process every request comes from one address; the API's rate limit, and its token
        # lock-out (the forged-token probes are refused credentials), would answer most probes
        # with 429 and hide what the door itself says.
        unthrottled = override_settings(
            EMBARGO_API_RATE_PUBLIC=UNTHROTTLED, EMBARGO_API_AUTH_FAILURE_LIMIT=UNLOCKED
        )
        unthrottled.enable()
    # Thousands of expected 404s would bury the report in "Not Found" and "read denied" lines.
    quiet = [logging.getLogger(name) for name in ("django.request", "embargo.security")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.ERROR)
    try:
        auditor = Auditor(
            fetch,
            base_url=base_url,
            progress=progress,
            s3=s3,
            workers=workers,
            parallel=parallel,
            exhaustive=exhaustive,
            seed=seed,
        )
        return auditor.run()
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)
        if not base_url:
            unthrottled.disable()
