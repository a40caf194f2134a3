"""The editor's day in a real browser, from an empty form to a withdrawn story, with the embargo
checked from a second browser that holds no cookies at every step.

Debian's Chromium driven by Playwright against a throw-away demo site (``tools/demo_site.py``), with
one more account, ``writer``, granted add, change, view, publish and share explicitly. The CSP is
enforced (axe-core is injected as an init script, which the CSP does not govern), and every page
fails its test on a console error, an uncaught exception or a CSP violation. Selectors go by role
and label, and ``click_workflow`` accepts a workflow action as a link to a confirmation page or as
a POST button with or without one.
"""

import base64
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browsers import NEEDS_CHROMIUM
from tests.factories import png_data
from tools.demo_site import DEMO_PASSWORD, demo_site, sign_in

pytestmark = NEEDS_CHROMIUM

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"moderate", "serious", "critical"}
WRITER = "writer"
SLUG = "harbour-tunnel-deal"
TITLE = "Harbour tunnel deal"
# A word in no demo article: search finds the story by it only once it is public.
SECRET_WORD = "quokkaviaduct"
PREPARE = f"""
from django.contrib.auth.models import Permission
writer = User.objects.create_user({WRITER!r}, password={DEMO_PASSWORD!r}, is_staff=True)
writer.user_permissions.add(*Permission.objects.filter(
    content_type__app_label="articles",
    codename__in=["add_article", "change_article", "view_article", "publish_article", "share_article"],
))
for slug, title in (("recovery-story", "Recovery story"), ("warning-story", "Warning story")):
    publishing.article_create(actor=writer, slug=slug, title=title, body="Saved words.")
"""
# Reported as console errors by the page itself, so CSP violations fail the test like any error.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});"""


@pytest.fixture(scope="module")
def site():
    with demo_site(prepare=PREPARE) as running:
        yield running


class Watched:
    """A browser context whose pages record console errors, uncaught exceptions and CSP violations."""

    def __init__(self, browser, *, axe: bool = False, width: int = 1280):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        if axe:
            self.context.add_init_script(path=str(AXE))
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def page(self):
        page = self.context.new_page()
        page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"{m.text} ({m.location['url']})"),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def close(self):
        self.context.close()
        assert self.errors == [], "\n".join(self.errors)


@pytest.fixture
def watched(browser):
    opened = []

    def open_context(**kwargs) -> Watched:
        context = Watched(browser, **kwargs)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def drop_files(page, target, files: list[tuple[str, str, bytes]]) -> None:
    """Drag files from the desktop onto ``target``: the events a real drop sends."""
    transfer = page.evaluate_handle(
        """(files) => {
          const transfer = new DataTransfer();
          for (const [name, type, data] of files) {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name, { type }));
          }
          return transfer;
        }""",
        [[name, kind, base64.b64encode(data).decode()] for name, kind, data in files],
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def body_field(page):
    return page.get_by_role("textbox", name="Body")


def preview(page):
    return page.get_by_role("region", name="Live preview")


def save_and_continue(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").click()


def click_workflow(page, label: str, fields: dict[str, str] | None = None) -> None:
    """Take a workflow action: a link or a POST button, then its confirmation page if there is one."""
    main = page.get_by_role("main")
    # Beside Save, the button saves what was typed first ("Save and publish…"); for those who may
    # not edit, a link. (The note above the form links to those buttons under the same words.)
    action = main.get_by_role("button", name=f"Save and {label.lower()}…", exact=True)
    if not action.count():
        action = main.get_by_role("link", name=label, exact=True).or_(
            main.get_by_role("button", name=label, exact=True)
        )
    with page.expect_navigation():
        action.first.click()
    if page.url.endswith("/change/"):
        return
    for name, value in (fields or {}).items():
        page.get_by_label(name).fill(value)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name=label, exact=True).click()
    assert page.url.endswith("/change/"), f"{label} did not come back to the article"


def open_change_page(page, base: str, title: str) -> None:
    page.goto(f"{base}/admin/articles/article/?q={title.split()[0]}")
    with page.expect_navigation():
        page.get_by_role("link", name=title).first.click()


def image_loaded(page, image) -> bool:
    """Whether ``image`` loads: it is lazy, so scrolled to, and decode() waits for it or fails."""
    image.scroll_into_view_if_needed()
    return image.evaluate("(img) => img.decode().then(() => img.naturalWidth > 0, () => false)")


def status(page, url: str) -> int:
    return page.request.get(url, max_redirects=0).status


def test_an_editor_takes_a_story_from_empty_form_to_withdrawn(site, watched):
    editor = watched()
    page = editor.page()
    sign_in(page, site.url, WRITER, next_path="/admin/")

    # Create: the add page previews as one types, and stores nothing until saved.
    page.goto(f"{site.url}/admin/articles/article/add/")
    page.get_by_role("textbox", name="Slug").fill(SLUG)
    page.get_by_role("textbox", name="Title").fill(TITLE)
    body_field(page).fill(f"## The deal\n\nSigned in secret, {SECRET_WORD}.\n")
    page.wait_for_function(
        "() => document.querySelector('.editor-preview-body h2')?.textContent === 'The deal'"
    )
    save_and_continue(page)

    # Drop an image and a PDF: both uploaded privately, referenced, and shown in the preview.
    body = body_field(page)
    body.click()
    page.keyboard.press("Control+End")
    drop_files(
        page,
        body,
        [
            ("tunnel.png", "image/png", png_data("teal", (120, 80))),
            ("contract.pdf", "application/pdf", pdf_bytes()),
        ],
    )
    live = preview(page)
    pdf_link = live.get_by_role("link", name="contract")
    pdf_link.wait_for()
    image = live.get_by_role("img", name="tunnel")
    image.wait_for()
    assert "![tunnel](tunnel.png)" in body.input_value()
    assert "[contract](contract.pdf)" in body.input_value()
    assert image_loaded(page, image)
    image_url = image.get_attribute("src")
    assert image_url.startswith("/assets/")
    assert pdf_link.get_attribute("href").startswith("/assets/")
    save_and_continue(page)
    assert page.get_by_role("link", name="tunnel.png").count() == 1  # the assets table

    # Submit, schedule, share.
    click_workflow(page, "Submit for review")
    later = timezone.localtime() + timedelta(days=3)
    click_workflow(page, "Schedule", {"Publish at": later.strftime("%Y-%m-%dT%H:%M")})
    page.get_by_role("link", name="Share links").click()
    page.get_by_role("textbox", name="Label").fill("Legal review")
    with page.expect_navigation():
        page.get_by_role("button", name="Issue link").click()
    share_url = page.locator("output.share-url").inner_text().strip()
    assert "/preview/" in share_url

    # A browser with no cookies: the link shows the draft and its image; nothing else does.
    outsider = watched()
    anonymous = outsider.page()
    assert anonymous.goto(share_url).status == 200
    assert anonymous.get_by_role("heading", name=TITLE).count() == 1
    assert image_loaded(anonymous, anonymous.get_by_role("img", name="tunnel"))
    article_url = f"{site.url}/articles/{SLUG}/"
    assert status(anonymous, article_url) == 404
    assert status(anonymous, site.url + image_url) == 404

    # Publish: the story is on the home page, in search and in the feed.
    open_change_page(page, site.url, TITLE)
    click_workflow(page, "Publish")
    anonymous.goto(f"{site.url}/")
    assert anonymous.get_by_role("link", name=TITLE).count() >= 1
    anonymous.goto(f"{site.url}/search/?q={SECRET_WORD}")
    assert anonymous.get_by_role("link", name=TITLE).count() == 1
    assert TITLE in anonymous.request.get(f"{site.url}/feeds/rss/").text()
    assert status(anonymous, article_url) == 200
    assert status(anonymous, site.url + image_url) == 200

    # Withdraw and revoke the link: the article, its image and the link are gone.
    click_workflow(page, "Withdraw")
    page.get_by_role("link", name="Share links").click()
    _revoke_first_link(page)
    assert status(anonymous, article_url) == 404
    assert status(anonymous, site.url + image_url) == 404
    assert status(anonymous, share_url) == 404
    # Asked of the server: the browser's own HTTP cache may keep a public page for its max-age.
    assert TITLE not in anonymous.request.get(f"{site.url}/search/?q={SECRET_WORD}").text()


def _revoke_first_link(page) -> None:
    """Press Revoke on the share links page, and confirm it where a confirmation page follows."""
    main = page.get_by_role("main")
    with page.expect_navigation():
        main.get_by_role("link", name="Revoke share…", exact=True).or_(
            main.get_by_role("button", name="Revoke", exact=True)
        ).first.click()
    confirm = page.get_by_role("main").get_by_role("button", name=re.compile("^Revoke"))
    if "/share/" in page.url and page.url.rstrip("/").endswith("revoke") and confirm.count():
        with page.expect_navigation():
            confirm.first.click()
    assert page.get_by_text("no longer works").count() == 1


def writer_on_change_page(site, editor, title: str):
    """A page of ``editor``'s browser, signed in as the writer, on the change page of ``title``."""
    page = editor.page()
    sign_in(page, site.url, WRITER, next_path="/admin/")
    open_change_page(page, site.url, title)
    return page


def test_leaving_with_unsaved_changes_asks_first(site, watched):
    editor = watched()
    page = writer_on_change_page(site, editor, "Warning story")
    change_url = page.url
    asked = []

    def decline(dialog):
        asked.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", decline)
    body_field(page).fill("Words nobody saved.")
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="Home").click()
    assert [kind for kind, _message in asked] == ["confirm"]
    assert "unsaved changes" in asked[0][1]
    assert page.url == change_url
    assert body_field(page).input_value() == "Words nobody saved."
    page.remove_listener("dialog", decline)
    with page.expect_event("dialog") as leaving:
        page.close(run_before_unload=True)
    assert leaving.value.type == "beforeunload"
    leaving.value.accept()


def test_a_workflow_button_saves_the_typed_text_first_without_asking(site, watched):
    editor = watched()
    page = writer_on_change_page(site, editor, "Warning story")
    change_url = page.url
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    body_field(page).fill("Words saved on the way to review.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and submit for review…", exact=True).click()
    assert asked == []
    assert "/transition/submit/" in page.url
    page.goto(change_url)
    assert body_field(page).input_value() == "Words saved on the way to review."


def test_unsaved_text_survives_a_crash_and_is_restored(site, watched):
    editor = watched()
    page = writer_on_change_page(site, editor, "Recovery story")
    change_url = page.url
    body_field(page).fill("A paragraph typed just before the crash.")
    page.get_by_text(re.compile(r"Unsaved text kept at \d\d:\d\d")).wait_for()
    page.close()  # the crash: no save, no beforeunload

    page = editor.page()
    page.goto(change_url)
    prompt = page.get_by_text(re.compile(r"^Restore unsaved text from \d\d:\d\d\?$"))
    prompt.wait_for()
    page.get_by_role("button", name="Restore").click()
    assert body_field(page).input_value() == "A paragraph typed just before the crash."
    preview(page).get_by_text("A paragraph typed just before the crash.").wait_for()
    save_and_continue(page)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert prompt.count() == 0
    assert body_field(page).input_value() == "A paragraph typed just before the crash."


def admin_pages(base: str, page) -> dict[str, str]:
    """Every admin page Embargo adds for an article, found from its change page."""
    open_change_page(page, base, "Recovery story")
    change = page.url
    pages = {"add form": f"{base}/admin/articles/article/add/", "change form": change}
    for name in ("Revisions", "Access", "Share links"):
        pages[name] = page.get_by_role("link", name=name, exact=True).get_attribute("href")
    pages["schedule confirmation"] = change.replace("/change/", "/transition/schedule/")
    return {name: url if url.startswith("http") else base + url for name, url in pages.items()}


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_nothing_moderate_or_worse_on_embargos_admin_pages(site, watched, width):
    editor = watched(axe=True, width=width)
    page = editor.page()
    sign_in(page, site.url, WRITER, next_path="/admin/")
    failures = []
    for name, url in admin_pages(site.url, page).items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        results = page.evaluate("async () => await axe.run(document)")
        assert results["passes"], f"axe ran no rule on the {name}: the check itself is broken"
        failures += [
            f"{name}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
            for v in results["violations"]
            if v["impact"] in FAILING_IMPACTS
        ]
    assert not failures, "\n".join(failures)
