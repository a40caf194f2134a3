"""The demo's published Mythos story: our own summary of the reporting, every fact with its source."""

import re
from html import unescape

import pytest

from articles.demo import DEMO_DIR, load_demo

# The source coverage's "at a glance" table, cell by cell. Facts carry over; its wording does not.
SOURCE_TABLE_WORDING = (
    "At a glance",
    "| Area | Reported |",
    "Not publicly launched",
    "Early-access customers |",
    "Most capable model it has built to date",
    "Misconfigured CMS-linked public cache",
    "Higher cybersecurity risk from a stronger model",
    "Public access to the cache restricted",
)
SOURCES = ("Fortune", "VPNCentral", "statement", "Not published")


def _table_rows(html: str) -> list[list[str]]:
    """The cells of every row of the first table in ``html``, as plain text."""
    table = re.search(r"<table>(.*?)</table>", html, re.DOTALL).group(1)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    ]


@pytest.fixture
def story_html(client, db) -> str:
    load_demo()
    return client.get("/articles/the-mythos-leak/").content.decode()


def test_the_story_has_a_dated_timeline_whose_every_row_names_its_source(story_html):
    header, *rows = _table_rows(story_html)
    assert header == ["When (2026)", "What was reported", "Source"]
    assert len(rows) >= 4
    for when, what, source in rows:
        assert when and what, f"an empty cell in {[when, what, source]}"
        assert any(name in source for name in SOURCES), f"no source named for {what!r}"


def test_the_timeline_says_where_the_sources_disagree_on_the_date(story_html):
    dates = [when for when, *_ in _table_rows(story_html)[1:]]
    assert "26 or 27 March (sources differ)" in dates


def test_the_story_credits_vpncentral_and_fortune(story_html):
    assert '<h2 id="sources">Sources</h2>' in story_html
    sources = story_html.split('<h2 id="sources">', 1)[1]
    assert "VPNCentral" in sources and "Fortune" in sources


@pytest.mark.parametrize("name", ["the-mythos-leak.md", "mythos-follow-up.md"])
def test_the_demo_stories_do_not_reuse_the_source_tables_wording(name):
    text = (DEMO_DIR / name).read_text(encoding="utf-8").lower()
    assert [phrase for phrase in SOURCE_TABLE_WORDING if phrase.lower() in text] == []
