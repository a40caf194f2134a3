"""The writing tools' endpoints: live preview, dropped files, autosave and recovery.

``COVERED_ROUTES`` names them; test_leaks.py's route walk fails for any ``admin:articles_article_editor_*``
route missing from it. Each is a door onto an article, so each answers everyone who may not change
the article exactly as it answers for an article that never existed.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Autosave
from articles.publishing import editing
from tests.factories import png_upload, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

MISSING_PK = 987654
# route suffix -> the one method it answers
EDITOR_PAGES = {
    "preview": "POST",
    "upload": "POST",
    "autosave": "POST",
    "recover": "GET",
    "discard": "POST",
}
COVERED_ROUTES = {f"admin:articles_article_editor_{name}" for name in EDITOR_PAGES} | {
    "admin:articles_article_editor_preview_new"
}


def url(name: str, pk) -> str:
    return reverse(f"admin:articles_article_editor_{name}", args=[pk])


def signed_in(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def person(kind: str, draft: Article) -> User:
    """Someone who may not change ``draft``, in each of the ways one can be that."""
    if kind == "no_grant":
        return staff("olga", "Authors")
    if kind == "rights_elsewhere":
        other = staff("oscar", "Authors")
        publishing.article_create(actor=other, slug="their-own", title="Their own")
        return other
    if kind == "view_only":
        reader = staff("vera")
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
        return reader
    revoked = staff("rex")
    for perm in ("view", "change"):
        publishing.access_grant(actor=SYSTEM, article=draft, perm=perm, user=revoked)
    editing.autosave_store(
        actor=revoked, article=draft, title="Rex's", summary="", body="kept", tags=""
    )
    for perm in ("change", "view"):
        publishing.access_revoke(actor=SYSTEM, article=draft, perm=perm, user=revoked)
    return revoked


PEOPLE = ["no_grant", "rights_elsewhere", "view_only", "revoked"]


@pytest.mark.parametrize("name", EDITOR_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("kind", PEOPLE)
def test_who_may_not_change_gets_the_missing_404(draft, name, method, kind):
    """Right or wrong method, an editor endpoint of a hidden article is the never-existed 404."""
    client = signed_in(person(kind, draft))
    data = {"body": "probe", "title": "probe", "loaded_version": draft.version}
    hidden = getattr(client, method)(url(name, draft.pk), data)
    missing = getattr(client, method)(url(name, MISSING_PK), data)
    assert hidden.status_code == 404
    assert_same_shape(hidden, missing)
    assert draft.latest_revision.number == Article.objects.get(pk=draft.pk).latest_revision.number
    assert not Autosave.objects.filter(title="probe").exists()


@pytest.mark.parametrize("name", EDITOR_PAGES)
def test_without_a_csrf_token_hidden_and_missing_answer_alike(draft, author, name):
    """CSRF is checked before anything else: the same 403 for the author's, a hidden and no article."""
    outsider = signed_in(staff("olga", "Authors"), enforce_csrf_checks=True)
    hidden = outsider.post(url(name, draft.pk), {"body": "x"})
    missing = outsider.post(url(name, MISSING_PK), {"body": "x"})
    assert hidden.status_code == 403
    # Django's CSRF page carries a fresh CSP nonce per response, which the comparison masks.
    assert_same_shape(hidden, missing)
    own = signed_in(author, enforce_csrf_checks=True).post(url(name, draft.pk), {"body": "x"})
    assert own.status_code == 403
    assert not Autosave.objects.exists()


@pytest.mark.parametrize("name", EDITOR_PAGES)
def test_without_a_staff_login_every_endpoint_redirects_alike(client, draft, name):
    hidden = client.get(url(name, draft.pk))
    missing = client.get(url(name, MISSING_PK))
    assert hidden.status_code == 302
    # The login page's ?next= names the page asked for, so each side masks its own id.
    assert_same_shape(hidden, missing, asked=[(f"article/{draft.pk}/", f"article/{MISSING_PK}/")])


@pytest.mark.parametrize(("name", "method"), EDITOR_PAGES.items())
def test_the_wrong_method_is_refused_for_the_editor(draft, author, name, method):
    wrong = "get" if method == "POST" else "post"
    response = getattr(signed_in(author), wrong)(url(name, draft.pk))
    assert response.status_code == 405
    assert response["Allow"] == method


# --- live preview ---------------------------------------------------------------------------------


def test_preview_renders_with_the_sites_renderer_and_sanitiser(draft, author):
    body = "## Plan\n\n<script>alert(1)</script> [x](javascript:alert(1)) **bold**"
    response = signed_in(author).post(url("preview", draft.pk), {"body": body})
    assert response.status_code == 200
    html = response.json()["html"]
    assert '<h2 id="plan">Plan</h2>' in html
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and "javascript:" not in html
    assert response.json()["problems"] == []


def test_preview_is_private_and_never_stored(draft, author):
    response = signed_in(author).post(url("preview", draft.pk), {"body": "Typed."})
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert Article.objects.get(pk=draft.pk).latest_revision.body == "Embargoed words."


def test_preview_shows_kept_images_through_their_private_urls(draft, author):
    asset = publishing.asset_attach(
        actor=author, article=draft, name="chart.png", content=png_upload("chart.png")
    )
    response = signed_in(author).post(
        url("preview", draft.pk), {"body": "![Chart](chart.png)", "keep_assets": [asset.pk]}
    )
    assert f'src="/assets/{asset.token}/chart.png"' in response.json()["html"]
    assert response.json()["problems"] == []


def test_preview_names_references_a_save_would_refuse(draft, author):
    response = signed_in(author).post(url("preview", draft.pk), {"body": "![Lost](lost.png)"})
    assert response.status_code == 200
    assert response.json()["problems"] == [
        "“lost.png” is referenced in the body but is not attached."
    ]


def test_preview_cannot_show_another_articles_asset(draft, author):
    other = publishing.article_create(actor=SYSTEM, slug="other", title="Other")
    foreign = publishing.asset_attach(
        actor=SYSTEM, article=other, name="x.png", content=png_upload("chart.png")
    )
    response = signed_in(author).post(
        url("preview", draft.pk), {"body": "![x](x.png)", "keep_assets": [foreign.pk]}
    )
    assert foreign.token not in response.content.decode()
    assert response.json()["problems"]


def test_add_page_preview_renders_and_stores_nothing(author):
    response = signed_in(author).post(
        reverse("admin:articles_article_editor_preview_new"), {"body": "# New *story*"}
    )
    assert response.status_code == 200
    assert "<em>story</em>" in response.json()["html"]
    assert not Article.objects.exists()


def test_add_page_preview_needs_the_add_permission():
    response = signed_in(staff("nobody")).post(
        reverse("admin:articles_article_editor_preview_new"), {"body": "x"}
    )
    assert response.status_code == 403


# --- dropped files --------------------------------------------------------------------------------


def test_a_dropped_image_is_attached_privately_and_referenced(draft, author):
    response = signed_in(author).post(
        url("upload", draft.pk),
        {"file": png_upload("My chart.png"), "loaded_version": draft.version},
    )
    assert response.status_code == 201
    result = response.json()
    draft.refresh_from_db()
    asset = Asset.objects.get(pk=result["id"])
    assert result["reference"] == "![My chart](My%20chart.png)"
    assert result["version"] == draft.version
    assert asset in draft.latest_revision.assets.all()
    assert signed_in(author).get(result["url"]).status_code == 200
    assert Client().get(result["url"]).status_code == 404


def test_a_refused_upload_says_why_and_stores_nothing(draft, author):
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", content_type="image/svg+xml")
    response = signed_in(author).post(
        url("upload", draft.pk), {"file": svg, "loaded_version": draft.version}
    )
    assert response.status_code == 400
    assert "“logo.svg” is not accepted" in response.json()["error"]
    assert not Asset.objects.exists()
    assert Article.objects.get(pk=draft.pk).version == draft.version


def test_an_oversized_upload_names_the_limit(draft, author, settings):
    settings.EMBARGO_MAX_UPLOAD_BYTES = 10
    response = signed_in(author).post(
        url("upload", draft.pk), {"file": png_upload("chart.png"), "loaded_version": draft.version}
    )
    assert response.status_code == 400
    assert "the upload limit is 10" in response.json()["error"]


def test_an_upload_after_someone_elses_save_is_refused(draft, author):
    loaded = draft.version
    publishing.article_update(actor=SYSTEM, article=draft, title="Their edit")
    response = signed_in(author).post(
        url("upload", draft.pk), {"file": png_upload("chart.png"), "loaded_version": loaded}
    )
    assert response.status_code == 409
    assert "was changed by someone else" in response.json()["error"]
    assert not Asset.objects.exists()


def test_an_upload_without_a_file_says_so(draft, author):
    response = signed_in(author).post(url("upload", draft.pk), {"loaded_version": draft.version})
    assert response.status_code == 400
    assert response.json()["error"] == "No file arrived; drop or paste the file again."


# --- autosave and recovery ------------------------------------------------------------------------


def autosave(client: Client, article: Article, body: str):
    return client.post(
        url("autosave", article.pk), {"title": "T", "summary": "", "body": body, "tags": ""}
    )


def test_autosave_keeps_one_record_and_makes_no_revision(draft, author):
    client = signed_in(author)
    autosave(client, draft, "first")
    response = autosave(client, draft, "second")
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", response.json()["saved_at"])
    assert list(Autosave.objects.values_list("body", flat=True)) == ["second"]
    assert Article.objects.get(pk=draft.pk).latest_revision.number == 1


def test_recovery_offers_an_autosave_newer_than_the_draft(draft, author):
    client = signed_in(author)
    autosave(client, draft, "unsaved words")
    offered = client.get(url("recover", draft.pk)).json()["autosave"]
    assert offered["body"] == "unsaved words"
    assert "private" in client.get(url("recover", draft.pk))["Cache-Control"]


def test_recovery_offers_nothing_older_than_the_draft(draft, author):
    client = signed_in(author)
    autosave(client, draft, "unsaved words")
    Autosave.objects.update(saved_at=timezone.now() - timedelta(days=1))
    assert client.get(url("recover", draft.pk)).json() == {"autosave": None}


def test_an_autosave_is_only_its_editors(draft, author):
    autosave(signed_in(author), draft, "alice's words")
    colleague = staff("eddie", "Editors")
    assert signed_in(colleague).get(url("recover", draft.pk)).json() == {"autosave": None}


def test_saving_the_article_clears_the_autosave(draft, author):
    client = signed_in(author)
    autosave(client, draft, "unsaved")
    response = client.post(
        reverse("admin:articles_article_change", args=[draft.pk]),
        {
            "title": "Saved",
            "summary": "",
            "body": "unsaved",
            "tags": "",
            "loaded_version": draft.version,
            "_continue": "Save",
        },
    )
    assert response.status_code == 302
    assert not Autosave.objects.exists()


def test_discard_forgets_the_autosave(draft, author):
    client = signed_in(author)
    autosave(client, draft, "unsaved")
    assert client.post(url("discard", draft.pk)).json() == {"autosave": None}
    assert not Autosave.objects.exists()


def test_autosave_needs_an_actor(draft):
    with pytest.raises(TypeError):
        editing.autosave_store(actor=None, article=draft, title="", summary="", body="", tags="")
    with pytest.raises(TypeError):
        editing.autosave_discard(actor=None, article=draft)


# --- the change form ------------------------------------------------------------------------------


def test_the_editor_script_runs_under_the_pages_csp_nonce(draft, author):
    response = signed_in(author).get(reverse("admin:articles_article_change", args=[draft.pk]))
    (nonce,) = re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert re.search(
        rf'<script src="/static/js/editor\.[0-9a-f]+\.js" defer nonce="{nonce}"',
        response.content.decode(),
    )


def test_public_pages_keep_a_csp_without_a_nonce(client):
    assert "nonce" not in client.get("/")["Content-Security-Policy"]


def test_the_assets_table_shows_thumbnails_and_references(draft, author):
    publishing.asset_attach(
        actor=author, article=draft, name="chart.png", content=png_upload("chart.png")
    )
    page = signed_in(author).get(reverse("admin:articles_article_change", args=[draft.pk]))
    html = page.content.decode()
    assert 'class="asset-thumbnail"' in html
    assert '<code class="asset-reference">![chart](chart.png)</code>' in html


def sql_of(client: Client, method: str, target: str) -> list[str]:
    """The SQL one request runs, numbers (ids, times) masked: the shape of the work it did."""
    with CaptureQueriesContext(connection) as captured:
        getattr(client, method)(target, {"body": "probe"})
    return [re.sub(r"\d+", "N", query["sql"]) for query in captured.captured_queries]


@pytest.mark.parametrize("name", EDITOR_PAGES)
@pytest.mark.parametrize("kind", ["rights_elsewhere", "revoked"])
def test_a_hidden_article_costs_the_work_of_a_missing_one(draft, name, kind):
    client = signed_in(person(kind, draft))
    method = EDITOR_PAGES[name].lower()
    assert sql_of(client, method, url(name, draft.pk)) == sql_of(
        client, method, url(name, MISSING_PK)
    )


def test_the_add_page_preview_answers_post_only_with_a_csrf_token(author):
    target = reverse("admin:articles_article_editor_preview_new")
    assert signed_in(author).get(target).status_code == 405
    refused = signed_in(author, enforce_csrf_checks=True).post(target, {"body": "x"})
    assert refused.status_code == 403
