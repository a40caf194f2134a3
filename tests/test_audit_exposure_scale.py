"""audit_exposure at scale: the one-pass matcher, parallel workers and batched searches still find
every leak, and a probe or worker that fails is reported, never taken for a clean answer."""

import io
import json
import os
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.http import HttpResponse

from articles import exposure
from articles.exposure import plan, searches
from articles.exposure.records import ProbeCounter
from articles.models import Article, Status
from articles.web import search, views
from articles.web import urls as web_urls
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def worker_failures(outcomes) -> list[exposure.Finding]:
    return [f for o in outcomes for f in o.findings if f.vector == "audit worker"]


def judged(item: int) -> exposure.Outcome:
    if item == 3:
        raise ValueError("the probe broke")
    if item == 21:
        os._exit(3)  # a worker process that dies outright, as a segfault or the OOM killer would
    return exposure.Outcome([exposure.Finding("error", f"object {item}", "", "x", "leak")])


def test_a_probe_that_fails_in_a_worker_process_is_reported():
    items = list(range(12))
    outcomes = list(
        exposure.Workers(2, "process", processes_from=1).map(judged, items, lambda i: f"item {i}")
    )
    assert len(outcomes) == len(items)
    (failure,) = worker_failures(outcomes)
    assert failure.severity == "error" and failure.url == "item 3"
    assert "not judged: ValueError: the probe broke" in failure.evidence
    # Every other item was judged, in order.
    assert [o.findings[0].object for o in outcomes if o.findings[0] is not failure] == [
        f"object {i}" for i in items if i != 3
    ]


def judged_where(item: int) -> exposure.Outcome:
    return exposure.Outcome(links=[str(os.getpid())])


@pytest.mark.parametrize(("processes_from", "forked"), [(None, False), (5, True)])
def test_a_stage_of_dear_items_goes_to_processes_from_fewer_items(processes_from, forked):
    """Ten items are too few for the workers' own threshold; a stage may lower it for itself."""
    outcomes = exposure.Workers(2, "process", processes_from=1000).map(
        judged_where, list(range(10)), str, processes_from=processes_from
    )
    pids = {pid for outcome in outcomes for pid in outcome.links}
    assert (str(os.getpid()) not in pids) is forked


def test_a_worker_process_that_dies_is_reported_for_every_probe_it_held():
    items = list(range(40))
    outcomes = list(
        exposure.Workers(2, "process", processes_from=1).map(judged, items, lambda i: f"item {i}")
    )
    assert len(outcomes) == len(items)
    failed = {f.url for f in worker_failures(outcomes)}
    assert "item 21" in failed and "item 3" in failed
    assert any("worker process ended" in f.evidence for f in worker_failures(outcomes))
    found = [o.findings[0].object for o in outcomes if not worker_failures([o])]
    assert len(found) + len(failed) == len(items)
    assert "object 0" in found and "object 39" in found


def test_a_failing_probe_makes_the_audit_fail_with_the_reason():
    make_article("hidden-one", title="A hidden headline for the audit")
    fetch = exposure.InProcessFetcher()

    def breaking(method, path, headers):
        if path == "/articles/hidden-one/draft/":
            raise ConnectionError("the site went away")
        return fetch(method, path, headers)

    report = exposure.Auditor(breaking).run()
    assert report.exit_code == 1
    failures = [f for f in report.errors if f.vector == "audit worker"]
    # The draft door is asked twice: without a cookie and with a forged session cookie.
    assert [f.url for f in failures] == ["/articles/hidden-one/draft/"] * 2
    assert all("ConnectionError: the site went away" in f.evidence for f in failures)


def test_among_many_articles_only_hidden_phrases_no_public_text_holds_are_markers():
    for n in range(30):
        make_article(f"public-{n}", status=Status.PUBLISHED, title=f"Public story number {n} today")
    make_article(
        "quoting",
        status=Status.PUBLISHED,
        body="As the memo said: “Budget cuts planned for spring”, and more.",
    )
    for n in range(30):
        make_article(f"hidden-{n}", title=f"Embargoed scoop number {n} tomorrow")
    make_article("quoted", title="Budget cuts planned for spring")
    found = exposure.collect_secrets()
    assert "Budget cuts planned for spring" not in found.markers
    for n in range(30):
        assert found.markers[f"Embargoed scoop number {n} tomorrow"] == (
            f"article hidden-{n} (draft)",
            "title",
        )


def test_among_many_articles_every_hidden_title_on_a_public_page_is_reported(monkeypatch):
    for n in range(25):
        make_article(f"public-{n}", status=Status.PUBLISHED, title=f"Public story number {n} today")
    hidden = [
        make_article(f"hidden-{n}", title=f"Embargoed scoop number {n} tomorrow") for n in range(25)
    ]
    for article in hidden:
        Article.objects.filter(pk=article.pk).update(live_revision=article.latest_revision)
    monkeypatch.setattr(
        views, "public_listing", lambda: Article.objects.select_related("live_revision", "author")
    )
    report = exposure.Auditor(exposure.InProcessFetcher()).run()
    titled = {f.object for f in report.errors if "contains the title of" in f.evidence}
    assert titled == {f"article hidden-{n} (draft)" for n in range(25)}


def leaky_search(monkeypatch) -> None:
    """Search also the latest revisions of articles that are not public: the bug both databases'
    search would have if ``matching_articles`` (their one path) forgot the public rule. Any word of
    the query (OR as PostgreSQL's websearch reads it) in a title, summary or body text matches."""

    def leaky(parsed):
        words = [term for term in parsed.terms if term != "or"]
        wanted = Q(pk__in=[])
        for word in words:
            for field in ("title", "summary", "body_text"):
                wanted |= Q(**{f"latest_revision__{field}__icontains": word})
        return (
            Article.objects.filter(wanted).select_related("live_revision", "author").order_by("-pk")
        )

    monkeypatch.setattr(search, "matching_articles", leaky)


def shown_on_results(articles) -> None:
    """A results page shows an article's live revision: let it be the hidden latest one."""
    for article in articles:
        Article.objects.filter(pk=article.pk).update(live_revision=article.latest_revision)


@pytest.mark.django_db(transaction=True)
def test_a_leaking_search_is_found_when_searches_run_in_parallel(monkeypatch):
    """Search reads every article here; each hidden title's search, run by 4 threads, gives it away.

    The threads share one in-process client behind a lock: the test database is an in-memory
    SQLite (or a PostgreSQL one) that concurrent requests would misuse; what runs in parallel is
    the workers' plumbing.
    """
    make_article("public-one", status=Status.PUBLISHED, title="A public story")
    hidden = [
        make_article(f"hidden-{n}", title=f"Secret merger talks round {n}") for n in range(12)
    ]
    shown_on_results(hidden)
    leaky_search(monkeypatch)
    client, lock, threads = exposure.InProcessFetcher(), threading.Lock(), set()

    def fetch(method, path, headers):
        threads.add(threading.get_ident())
        with lock:
            return client(method, path, headers)

    report = exposure.Auditor(fetch, workers=4, parallel="thread").run()
    searched = {f.object for f in report.errors if f.vector == "search"}
    assert searched == {f"article hidden-{n} (draft)" for n in range(12)}
    assert all(
        f.url.startswith("/search/?q=Secret+merger+talks+round+")
        for f in report.errors
        if f.vector == "search"
    )
    assert len(threads) > 1


def test_with_many_hidden_titles_each_article_is_searched_by_a_word_only_it_holds(monkeypatch):
    """Past TITLE_SEARCHES titles the words no public text holds are searched, OR-batched on every
    database: a leaking search still gives away every hidden article."""
    monkeypatch.setattr(searches, "TITLE_SEARCHES", 3)
    monkeypatch.setattr(plan, "VARIANTS_PER_STATE", 1)  # one title searched as well
    make_article("public-one", status=Status.PUBLISHED, title="A public story about mergers")
    hidden = [
        make_article(f"hidden-{n}", title=f"Merger talks codename{n:02d}x") for n in range(12)
    ]
    shown_on_results(hidden)
    leaky_search(monkeypatch)
    asked = []
    fetch = exposure.InProcessFetcher()

    def recording(method, path, headers):
        asked.append(path)
        return fetch(method, path, headers)

    report = exposure.Auditor(recording, seed=1).run()
    by_words = {
        f.object
        for f in report.errors
        if f.vector == "search" and f.url.startswith("/search/?q=codename")
    }
    assert by_words == {f"article hidden-{n} (draft)" for n in range(12)}
    words = [p for p in asked if p.startswith("/search/?q=codename")]
    # Each article's own word is asked once, alone or OR'd with others; "merger" (public) never.
    assert "".join(words).count("codename") == 12
    assert len(words) == 2  # nine words to a query
    titles = [p for p in asked if p.startswith("/search/?q=Merger+talks")]
    assert len(titles) == 1


def test_a_search_that_fails_is_reported_as_not_judged(monkeypatch):
    make_article("hidden-one", title="A hidden headline for the audit")

    def broken(parsed):
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(search, "matching_articles", broken)
    report = exposure.Auditor(exposure.InProcessFetcher()).run()
    (failure,) = [f for f in report.errors if f.vector == "search"]
    assert failure.url == "/search/?q=A+hidden+headline+for+the+audit"
    assert failure.evidence.startswith("answered 500, so the search was not judged")


def test_the_command_fails_when_a_probe_cannot_be_judged(monkeypatch):
    make_article("hidden-one", title="A hidden headline for the audit")
    real = exposure.InProcessFetcher.__call__

    def breaking(self, method, path, headers):
        if path == "/articles/hidden-one/?preview=1":
            raise RuntimeError("boom")
        return real(self, method, path, headers)

    monkeypatch.setattr(exposure.InProcessFetcher, "__call__", breaking)
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("audit_exposure", "--json", stdout=out, stderr=io.StringIO())
    assert raised.value.returncode == 1
    report = json.loads(out.getvalue())
    assert any(f["vector"] == "audit worker" for f in report["findings"])


# --- the request plan ----------------------------------------------------------------------------


def recorded_audit(**options) -> tuple[exposure.Report, list[tuple[str, str, tuple]], dict]:
    """The report, every request made, and the number asked at each stage."""
    asked = []
    fetch = exposure.InProcessFetcher()
    stages = ProbeCounter()

    def recording(method, path, headers):
        asked.append((method, path, tuple(headers.items())))
        return fetch(method, path, headers)

    report = exposure.Auditor(recording, progress=stages, **options).run()
    return report, asked, stages.counts


@pytest.fixture
def two_states(monkeypatch):
    """Six drafts and six articles in review, and a sample of two objects per state."""
    monkeypatch.setattr(plan, "VARIANTS_PER_STATE", 2)
    drafts = [make_article(f"draft-{n}").slug for n in range(6)]
    reviewed = [make_article(f"review-{n}", status=Status.IN_REVIEW).slug for n in range(6)]
    return drafts, reviewed


def per_article_probes() -> int:
    return len(exposure.article_probes("x", "")) + len(exposure.api_probes("x", ""))


def test_exhaustive_asks_every_variant_of_every_object(two_states):
    """Each probe of the stage is one request: the full cross product, 14 for each article."""
    report, _asked, stages = recorded_audit(exhaustive=True, seed=1)
    assert stages["Probing non-public objects"] == 12 * per_article_probes()
    assert report.sampling == "variants: all 12 objects (exhaustive)"


def test_the_sampled_plan_asks_every_primary_door_and_variants_for_each_state(two_states):
    drafts, reviewed = two_states
    report, asked, stages = recorded_audit(seed=1)
    # Four objects (two of each state) get all 14; the other eight their four primary doors.
    primary = 4  # article URL, working-draft URL, API article, API working draft
    assert stages["Probing non-public objects"] == 4 * per_article_probes() + 8 * primary
    for slug in drafts + reviewed:
        for path in (f"/articles/{slug}/", f"/articles/{slug}/draft/"):
            assert ("GET", path, ()) in asked
        for path in (f"/api/v1/articles/{slug}", f"/api/v1/articles/{slug}/draft"):
            assert ("GET", path, ()) in asked
    assert report.sampling.startswith("variants: 4 of 12 objects, every state (2 states")


def web_pattern(name: str):
    """The reader's URL pattern ``name`` (the API has its own "article")."""
    return next(p for p in web_urls.urlpatterns if p.name == name)


@pytest.mark.parametrize("seed", range(4))
def test_a_leaking_variant_for_one_state_is_found_by_the_sampled_plan(
    two_states, monkeypatch, seed
):
    """HEAD on an article in review answers 200: every state is sampled, so it is always caught."""
    pattern = web_pattern("article")
    real = pattern.callback

    def leaky(request, slug):
        in_review = Article.objects.filter(slug=slug, status=Status.IN_REVIEW).exists()
        if request.method == "HEAD" and in_review:
            return HttpResponse("")
        return real(request, slug)

    monkeypatch.setattr(pattern, "callback", leaky)
    report, _asked, _stages = recorded_audit(seed=seed)
    found = {f.object for f in report.errors if f.vector == "article URL (HEAD)"}
    assert len(found) == 2
    assert all(label.startswith("article review-") for label in found)


@pytest.mark.parametrize("seed", range(4))
def test_a_leak_of_one_object_at_a_primary_door_is_found_whatever_is_sampled(
    two_states, monkeypatch, seed
):
    pattern = web_pattern("article")
    real = pattern.callback

    def leaky(request, slug):
        Article.objects.filter(slug=slug).exists()  # the same work for every slug
        if slug == "draft-4":
            return HttpResponse("The draft itself.")
        return real(request, slug)

    monkeypatch.setattr(pattern, "callback", leaky)
    report, _asked, _stages = recorded_audit(seed=seed)
    leaks = {(f.object, f.url, f.vector) for f in report.errors}
    assert ("article draft-4 (draft)", "/articles/draft-4/", "article URL") in leaks
    # Nothing else at any door. (The timing sample is left out: on a loaded machine it can report
    # noise, and what it finds is tested on its own.)
    assert {f.object for f in report.errors if not f.vector.startswith("timing")} == {
        "article draft-4 (draft)"
    }


def test_the_report_states_the_sampling(two_states):
    out = io.StringIO()
    call_command("audit_exposure", "--seed", "7", stdout=out, stderr=io.StringIO())
    assert out.getvalue().splitlines()[-1] == (
        "variants: 4 of 12 objects, every state (2 states, up to 2 objects each, seed 7); "
        "primary doors: every object"
    )
    out = io.StringIO()
    call_command("audit_exposure", "--json", "--exhaustive", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["sampling"] == "variants: all 12 objects (exhaustive)"


@pytest.mark.parametrize("seed", range(4))
def test_a_leaking_variant_for_one_slug_shape_is_found_by_the_sampled_plan(
    two_states, monkeypatch, seed
):
    """A URL variant rewrites the slug character by character (upper case leaves digits as they
    are), so a slug of digits only takes other paths than one of letters: its own stratum."""
    make_article("2026")
    pattern = web_pattern("article")
    real = pattern.callback

    def leaky(request, slug):
        Article.objects.filter(slug=slug).exists()  # the same work for every slug
        if request.GET.get("format") == "json" and slug.isdigit():
            return HttpResponse("The draft itself.")
        return real(request, slug)

    monkeypatch.setattr(pattern, "callback", leaky)
    report, _asked, _stages = recorded_audit(seed=seed)
    found = {f.object for f in report.errors if f.vector == "article URL ?format=json"}
    assert found == {"article 2026 (draft)"}
