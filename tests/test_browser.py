"""The reader's pages in a real browser: axe-core finds nothing moderate or worse, in light and dark,
and the keyboard alone reaches every link with a visible focus ring.

Debian's Chromium (``/usr/bin/chromium``) driven by the ``playwright`` package, one browser and one
demo site (``tools/demo_site.py``: a throw-away copy on a free port) for the whole session. axe-core
is vendored (``tests/vendor/axe-core/``, MPL-2.0, from the npm package) so CI needs no network and
every run checks against the same rules.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.browsers import NEEDS_CHROMIUM
from tools.demo_site import sign_in

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"moderate", "serious", "critical"}

pytestmark = NEEDS_CHROMIUM

# name -> (path, who is signed in); the share preview's path comes from the site.
PAGES = {
    "home": ("/", None),
    "article": ("/articles/the-mythos-leak/", None),
    "tag": ("/tags/security/", None),
    "tag index": ("/tags/", None),
    "feed guide": ("/feeds/", None),
    "search": ("/search/?q=cache", None),
    "search without a query": ("/search/", None),
    "account": ("/account/", "early-reader"),
    "login": ("/accounts/login/", None),
    "404": ("/articles/never-existed/", None),
    "share preview": ("{preview}", None),
}


@pytest.fixture(scope="session")
def site():
    from tools.demo_site import demo_site

    with demo_site() as running:
        yield running


@pytest.fixture(scope="session")
def signed_in_state(site, browser):
    """Cookies of a session signed in as the demo early reader, made once."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site.url, "early-reader")
    state = context.storage_state()
    context.close()
    return state


def open_page(browser, site, signed_in_state, name: str, scheme: str = "light", width: int = 1280):
    path, person = PAGES[name]
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        storage_state=signed_in_state if person else None,
        # The site's CSP allows no inline script; axe is injected as one, by the test alone.
        bypass_csp=True,
    )
    page = context.new_page()
    response = page.goto(site.url + path.format(preview=site.preview_path))
    assert response.status == (404 if name == "404" else 200)
    return context, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing_moderate_or_worse(browser, site, signed_in_state, name, scheme):
    context, page = open_page(browser, site, signed_in_state, name, scheme)
    try:
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("async () => await axe.run(document)")
    finally:
        context.close()
    assert results["passes"], "axe ran no rule: the check itself is broken"
    failures = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]
    assert not failures, "\n".join(failures)


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    href: el.getAttribute('href'),
    tag: el.tagName,
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""
ALL_LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter(a => a.getClientRects().length && getComputedStyle(a).visibility !== 'hidden'
               && a.tabIndex >= 0 && a.getAttribute('aria-hidden') !== 'true')
  .map(a => a.getAttribute('href'))"""


@pytest.mark.parametrize("name", ["home", "article", "tag index", "share preview"])
def test_tab_reaches_every_link_with_a_visible_focus_ring(browser, site, signed_in_state, name):
    context, page = open_page(browser, site, signed_in_state, name)
    try:
        links = page.evaluate(ALL_LINKS)
        # The skip link is off-screen until focused, so it counts whether or not it is visible.
        wanted = set(links) | {"#content"}
        reached = set()
        for _ in range(len(links) + 40):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUS_STYLE)
            if focused["tag"] == "A":
                assert focused["ring"], f"no visible focus ring on {focused['href']}"
                reached.add(focused["href"])
            if wanted <= reached:
                break
    finally:
        context.close()
    assert wanted <= reached, f"never reached by Tab: {sorted(wanted - reached)}"


def test_the_screenshots_command_writes_every_file_it_lists(tmp_path):
    # A process of its own, as make runs it: this session's Playwright already owns an event loop.
    from tools import screenshots

    result = subprocess.run(
        [sys.executable, "-m", "tools.screenshots", "--out", str(tmp_path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(screenshots.SHOTS)
    for name in screenshots.SHOTS:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    # A part of the page (the body beside its live preview) is photographed, not the whole page.
    for name in screenshots.PARTS:
        width, height = Image.open(tmp_path / name).size
        assert 600 < width < screenshots.SHOTS[name][2] and height > 300
