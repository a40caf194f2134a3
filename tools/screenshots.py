"""``make screenshots``: regenerate the README's screenshots in ``docs/screenshots/``.

    .venv/bin/python -m tools.screenshots [--out docs/screenshots]

Serves the demo site from a throw-away copy (``tools/demo_site.py``) and photographs it with
Debian's Chromium through Playwright. ``SHOTS`` is the list of files it writes.
"""

import argparse
import sys
from pathlib import Path

from tools.demo_site import ROOT, demo_site, launch_chromium, sign_in

STORY = "/articles/the-mythos-leak/"
DRAFT = "/articles/mythos-follow-up-audit/"
# file name -> (path, colour scheme, width, who is signed in)
SHOTS = {
    f"{page}-{scheme}-{width}.png": (path, scheme, width, None)
    for page, path in (("home", "/"), ("story", STORY))
    for scheme in ("light", "dark")
    for width in (375, 1280)
}
SHOTS |= {
    "draft-banner-light-1280.png": (DRAFT, "light", 1280, "early-reader"),
    "admin-access-light-1280.png": (
        "/admin/articles/article/{draft_pk}/access/",
        "light",
        1280,
        "editor",
    ),
    "admin-live-preview-light-1280.png": (
        "/admin/articles/article/{draft_pk}/change/",
        "light",
        1280,
        "editor",
    ),
}
# Shots of one part of the page: the body beside its live preview, not the form around it.
PARTS = {"admin-live-preview-light-1280.png": ".editor-row"}


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with demo_site() as site, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for name, (path, scheme, width, person) in SHOTS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                page = context.new_page()
                if person:
                    sign_in(page, site.url, person)
                page.goto(site.url + path.format(draft_pk=site.draft_pk))
                page.wait_for_load_state("networkidle")
                target = out / name
                if name in PARTS:
                    page.locator(PARTS[name]).screenshot(path=str(target))
                else:
                    page.screenshot(path=str(target), full_page=width == 375 or path == "/")
                written.append(target)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
