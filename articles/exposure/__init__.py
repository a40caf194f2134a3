"""The outsider's audit: probe a running site for anything unpublished it shows.

``config`` (settings, buckets, people), ``hidden`` (what must not get out), ``fetching`` (how to
ask), ``probes`` (the doors and how an answer is judged), ``plan`` (which probes are asked),
``searches`` (which searches), ``pages`` (the public side), ``workers``
(judging in parallel), ``auditor`` (one audit, start to end) and ``report`` (what it found).
"""

from articles.exposure.auditor import (
    TIMING_OBJECTS,
    TIMING_SAMPLES,
    TIMING_THRESHOLD,
    Auditor,
    default_workers,
    run_audit,
)
from articles.exposure.config import (
    COVERED_CHECKS,
    PUBLIC_GRANTEES,
    bucket_findings,
    configuration_findings,
    people_findings,
    s3_client,
)
from articles.exposure.fetching import (
    BadBaseURL,
    Fetch,
    HttpFetcher,
    InProcessFetcher,
    Response,
    audit_host,
)
from articles.exposure.hidden import (
    MAX_MARKER_LENGTH,
    MIN_MARKER_LENGTH,
    Matcher,
    Secrets,
    collect_secrets,
)
from articles.exposure.probes import (
    FORGED,
    FORGED_SESSION_KEY,
    TELLTALE_HEADERS,
    Probe,
    api_probes,
    article_probes,
    asset_probes,
    difference,
    draft_probes,
    forged_session,
    rendition_probes,
    shape_difference,
    storage_prefixes,
)
from articles.exposure.report import ERROR, WARNING, Finding, Report
from articles.exposure.workers import Outcome, Workers

__all__ = [
    "COVERED_CHECKS",
    "ERROR",
    "FORGED",
    "FORGED_SESSION_KEY",
    "MAX_MARKER_LENGTH",
    "MIN_MARKER_LENGTH",
    "PUBLIC_GRANTEES",
    "TELLTALE_HEADERS",
    "TIMING_OBJECTS",
    "TIMING_SAMPLES",
    "TIMING_THRESHOLD",
    "WARNING",
    "Auditor",
    "BadBaseURL",
    "Fetch",
    "Finding",
    "HttpFetcher",
    "InProcessFetcher",
    "Matcher",
    "Outcome",
    "Probe",
    "Report",
    "Response",
    "Secrets",
    "Workers",
    "api_probes",
    "article_probes",
    "asset_probes",
    "audit_host",
    "bucket_findings",
    "collect_secrets",
    "configuration_findings",
    "default_workers",
    "difference",
    "draft_probes",
    "forged_session",
    "people_findings",
    "rendition_probes",
    "run_audit",
    "s3_client",
    "shape_difference",
    "storage_prefixes",
]
