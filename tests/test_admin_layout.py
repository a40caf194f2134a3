"""The editors' admin fits the screen: no sideways scroll on a 390 px phone, nothing cut off on a
1280 px laptop. Measured in Debian's Chromium on the demo site (``tools/demo_site.py``), signed in as
the demo ``editor``; skipped where Chromium or the playwright package is missing."""

import pytest

from tests.browsers import NEEDS_CHROMIUM
from tools.demo_site import launch_chromium, sign_in

pytestmark = NEEDS_CHROMIUM

# How far the page can be scrolled sideways, in CSS pixels (0 when it fits).
SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def editor_page():
    from playwright.sync_api import sync_playwright

    from tools.demo_site import demo_site

    with demo_site() as site, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, site.url, "editor", next_path="/admin/")
        yield site, page
        context.close()
        browser.close()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/articles/article/{pk}/change/",
        "/admin/articles/article/{pk}/revisions/?old=1&new=1",
        "/admin/articles/article/{pk}/access/",
        "/admin/articles/article/{pk}/share/",
        "/admin/articles/article/{pk}/history/",
        "/admin/articles/article/",
        "/admin/articles/article/add/",
    ],
)
def test_admin_pages_do_not_scroll_sideways_at_390px(editor_page, path):
    site, page = editor_page
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(site.url + path.format(pk=site.draft_pk))
    assert response.status == 200
    assert page.evaluate(SIDEWAYS_SCROLL) <= 0


def test_the_audit_trail_route_column_is_not_cut_at_1280px(editor_page):
    site, page = editor_page
    page.set_viewport_size({"width": 1280, "height": 900})
    # Opening the share link records its whole signed token as the route: the longest there is.
    assert page.goto(site.url + site.preview_path).status == 200
    assert page.goto(site.url + "/admin/articles/auditevent/").status == 200
    assert page.locator("td.field-route").count() > 0
    assert page.evaluate(SIDEWAYS_SCROLL) <= 0
    # Every route cell shows all its text: nothing overflows its cell or the window.
    cut = page.evaluate(
        """() => [...document.querySelectorAll('td.field-route')].filter(cell =>
            cell.scrollWidth > cell.clientWidth + 1
            || cell.getBoundingClientRect().right > document.documentElement.clientWidth
        ).length"""
    )
    assert cut == 0
