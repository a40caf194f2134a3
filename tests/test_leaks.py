"""The leak matrix: every door, every article state, every kind of person.

A denial must be indistinguishable from an object that never existed: same status, same body, same
headers. ``COVERED_ROUTES`` names the doors tested here; ``test_every_route_is_covered`` walks the URL
resolver, and the admin's own ``get_urls()``, so a new door cannot be added without a row in a leak
test: every module with leak tests names the routes they exercise in its own ``COVERED_ROUTES``.
"""

import importlib
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, User
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.utils import timezone
from guardian.shortcuts import assign_perm
from guardian.utils import get_anonymous_user

from articles import publishing
from articles.access import PREVIEW_SALT, SYSTEM
from articles.models import Article, Asset, Status
from tests.factories import png_upload
from tests.response_shape import (
    FORGED_SESSION,
    ForgedSessionClient,
    assert_same_shape,
    body_of,
    cookie_changes,
)

STATES = ["draft", "in_review", "scheduled", "published", "withdrawn", "embargo_ended"]
PEOPLE = [
    "anonymous",
    "forged_session",
    "no_grant",
    "early_access",
    "revoked",
    "author",
    "editor",
    "superuser",
]
SEES_UNPUBLISHED = {"early_access", "author", "editor", "superuser"}
ROUTES = ["article", "article_draft", "asset_get", "asset_head", "asset_range"]
SECRET_TITLE = "Quiet Harbour Protocol"

COVERED_ROUTES = {
    "home",
    "article",
    "article-draft",
    "asset",
    "asset-rendition",
    "preview",
    "preview-asset",
    "preview-asset-rendition",
    "account",
    "healthz",
    "login",
    "logout",
    "password_change",
    "password_change_done",
}


def make_article(state: str, people, roles, *, slug: str = "quiet-harbour", upload=None) -> Article:
    """An article in ``state`` with one PNG in its latest revision, shared with early access."""
    article = publishing.article_create(
        actor=people["author"],
        slug=slug,
        title=SECRET_TITLE,
        summary="Summary of the harbour protocol.",
        body="The harbour protocol body. ![Chart](chart.png)",
        files=[("chart.png", upload or png_upload("chart.png", size=(8, 8)))],
    )
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=roles["Early access"])
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=people["revoked"])
    publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=people["revoked"])
    now = timezone.now()
    if state == "in_review":
        publishing.article_submit(actor=SYSTEM, article=article)
    elif state == "scheduled":
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=now + timedelta(hours=1)
        )
    elif state in ("published", "withdrawn", "embargo_ended"):
        publishing.article_publish(actor=SYSTEM, article=article)
    if state == "withdrawn":
        publishing.article_withdraw(actor=SYSTEM, article=article)
    if state == "embargo_ended":
        Article.objects.filter(pk=article.pk).update(unpublish_at=now - timedelta(seconds=1))
    article.refresh_from_db()
    return article


def client_for(client, person):
    """``client`` signed in as ``person``; a client with a forged session cookie for FORGED_SESSION."""
    if person == FORGED_SESSION:
        return ForgedSessionClient()
    if person is not None:
        client.force_login(person)
    return client


def request(client, route: str, article_slug: str, asset: Asset | None, *, missing: bool = False):
    """Request ``route`` for the article/asset, or (``missing``) for one that never existed."""
    slug = "never-existed" if missing else article_slug
    token = "A" * 32 if missing else asset.token
    asset_path = f"/assets/{token}/chart.png"
    if route == "article":
        return client.get(f"/articles/{slug}/")
    if route == "article_draft":
        return client.get(f"/articles/{slug}/draft/")
    if route == "asset_get":
        return client.get(asset_path)
    if route == "asset_head":
        return client.head(asset_path)
    if route == "asset_range":
        return client.get(asset_path, headers={"range": "bytes=0-10"})
    raise AssertionError(route)


content_of = body_of


def assert_same_as_missing(response, reference) -> None:
    """The 404 of a missing object: body, headers in order, and cookies set or deleted."""
    assert response.status_code == reference.status_code == 404
    assert_same_shape(response, reference)


def expected_visible(state: str, person: str, route: str) -> bool:
    if person in SEES_UNPUBLISHED:
        return True
    # The working-draft door is for grant holders only, even on a published article.
    return state == "published" and route != "article_draft"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("person", PEOPLE)
def test_matrix(client, people, roles, route, state, person):
    article = make_article(state, people, roles)
    asset = article.assets.get()
    client = client_for(client, people[person])
    response = request(client, route, article.slug, asset)

    if not expected_visible(state, person, route):
        assert_same_as_missing(response, request(client, route, article.slug, asset, missing=True))
        return

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    body = content_of(response)
    if route.startswith("asset"):
        assert response["Content-Type"] == "image/png"
        assert response["Accept-Ranges"] == "none"
        if route == "asset_head":
            assert body == b""
        else:
            assert body == asset.file.open("rb").read()
    else:
        assert SECRET_TITLE.encode() in body
    is_public = state == "published" and route != "article_draft"
    # A forged session cookie comes back deleted, and a response that sets a cookie is private.
    if is_public and person == "anonymous":
        assert "public" in response["Cache-Control"]
    else:
        assert response["Cache-Control"] == "private, no-store, max-age=0"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "ETag" not in response and "Last-Modified" not in response
    if not is_public and not route.startswith("asset"):
        assert b"Not public" in body


LOSSES = ["revoke_view", "revoke_share", "deactivated", "group_grant_removed"]


def lose_access(loss: str, person: User, article: Article, desk: Group) -> None:
    """Take away, in one of the ways a person loses it, the access ``person`` shares ``article`` with."""
    if loss == "revoke_view":
        publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=person)
    elif loss == "revoke_share":
        publishing.access_revoke(actor=SYSTEM, article=article, perm="share", user=person)
    elif loss == "deactivated":
        person.is_active = False
        person.save()
    else:
        publishing.access_revoke(actor=SYSTEM, article=article, perm="view", group=desk)


@pytest.mark.parametrize("door", ["preview", "preview_asset"])
@pytest.mark.parametrize("loss", LOSSES)
# Past its embargo end a link is refused already (tests/test_preview_links.py).
@pytest.mark.parametrize("state", [state for state in STATES if state != "embargo_ended"])
def test_a_share_link_dies_with_its_creators_access(client, people, roles, state, loss, door):
    """Every state, every way of losing access: the link is then a token that was never issued."""
    from django.core import signing

    from articles.access import PREVIEW_SALT

    article = make_article(state, people, roles)
    desk = Group.objects.create(name="Desk")
    sharer = User.objects.create_user("sharer")
    if loss == "group_grant_removed":
        desk.user_set.add(sharer)
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=desk)
    else:
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=sharer)
    publishing.access_grant(actor=SYSTEM, article=article, perm="share", user=sharer)
    _, token = publishing.preview_link_issue(actor=sharer, article=article, label="Counsel")
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    asset = article.assets.get()

    def get(link_token: str):
        if door == "preview":
            return client.get(f"/preview/{link_token}/")
        return client.get(f"/preview/{link_token}/assets/{asset.token}/{asset.download_name}")

    assert get(token).status_code == 200
    lose_access(loss, sharer, article, desk)
    assert_same_as_missing(get(token), get(never))


VARIANTS = [
    "/articles/{slug}",  # no trailing slash: APPEND_SLASH redirects both alike
    "/articles/{upper}/",
    "/articles/{encoded}/",
    "/articles/{slug}/?preview=1",
    "/articles/{slug}/?format=json",
    "/articles/{slug}/draft/?preview=1",
    "/articles/{pk}/",
    "/articles/{slug}/draft",
    "/articles/{encoded}/draft/",
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant", "revoked"])
def test_url_variants_of_a_draft_look_like_a_missing_article(
    client, people, roles, variant, person
):
    draft = make_article("draft", people, roles)
    client = client_for(client, people[person])
    encoded = "".join(f"%{ord(ch):02X}" for ch in draft.slug)

    def url(slug, pk):
        return variant.format(slug=slug, upper=slug.upper(), encoded=encoded, pk=pk)

    response = client.get(url(draft.slug, draft.pk))
    reference = client.get(url("never-existed", 987654))
    # A redirect names the URL asked for, so each side masks the slug it asked with.
    assert_same_shape(response, reference, asked=[(draft.slug, "never-existed")])
    assert SECRET_TITLE.encode() not in content_of(response)


@pytest.mark.parametrize("method", ["post", "options", "put", "delete", "patch"])
@pytest.mark.parametrize("path", ["/articles/{slug}/", "/assets/{token}/chart.png"])
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant"])
def test_other_methods_do_not_tell_a_draft_from_nothing(
    client, people, roles, method, path, person
):
    draft = make_article("draft", people, roles)
    client = client_for(client, people[person])
    token = draft.assets.get().token
    response = getattr(client, method)(path.format(slug=draft.slug, token=token))
    reference = getattr(client, method)(path.format(slug="never-existed", token="A" * 32))
    assert response.status_code == reference.status_code == 405
    assert_same_shape(response, reference)


def test_asset_url_with_another_name_is_the_missing_404(client, people, roles):
    published = make_article("published", people, roles)
    token = published.assets.get().token
    assert client.get(f"/assets/{token}/chart.png").status_code == 200
    response = client.get(f"/assets/{token}/other.png")
    assert_same_as_missing(response, client.get(f"/assets/{'A' * 32}/other.png"))


@pytest.mark.parametrize("ended_by", ["revoked", "expired"])
@pytest.mark.parametrize("door", ["preview", "preview_asset", "preview_asset_rendition"])
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant"])
def test_a_dead_share_link_looks_like_one_never_issued(
    client, people, roles, ended_by, door, person
):
    """Status, body, headers in order and cookies match a token that was never issued."""
    draft = make_article("draft", people, roles)
    link, token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal review")
    never_issued = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    asset = draft.assets.get()

    def url(preview_token: str) -> str:
        if door == "preview":
            return f"/preview/{preview_token}/"
        if door == "preview_asset_rendition":  # the 8 px PNG's WebP
            return f"/preview/{preview_token}/assets/{asset.token}/8w.webp/{asset.download_name}"
        return f"/preview/{preview_token}/assets/{asset.token}/{asset.download_name}"

    # Served while the link worked: its marked copies existed (they are deleted with the link).
    served = Client().get(url(token))
    assert served.status_code == 200
    if served.streaming:
        b"".join(served.streaming_content)  # read to the end, which closes the file
    if ended_by == "revoked":
        publishing.preview_link_revoke(actor=SYSTEM, link=link)
    else:
        type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now())
    client = client_for(client, people[person])
    assert_same_as_missing(client.get(url(token)), client.get(url(never_issued)))


@pytest.mark.parametrize(
    "url",
    ["/robots.txt", "/tags/never-existed/", "/preview/nonsense/", "/articles/never-existed/"],
)
def test_every_door_loads_the_session_before_it_looks_anything_up(db, url):
    """So no door can do that work for a found object only: a forged session is always dropped."""
    response = ForgedSessionClient().get(url)
    assert cookie_changes(response) == {"sessionid": "deleted"}
    assert "Cookie" in response["Vary"]


def test_grant_to_guardians_anonymous_user_does_not_publish(client, people, roles):
    draft = make_article("draft", people, roles)
    assign_perm("view_article", get_anonymous_user(), draft)
    assign_perm("articles.view_article", get_anonymous_user())
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404
    assert not Article.objects.visible_to(get_anonymous_user()).exists()


def test_services_refuse_to_grant_the_anonymous_user(people, roles):
    draft = make_article("draft", people, roles)
    with pytest.raises(Exception, match="only publishing makes an article public"):
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=get_anonymous_user())


def test_revoking_takes_effect_on_the_next_request(client, people, roles):
    draft = make_article("draft", people, roles)
    reader = people["no_grant"]
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    client.force_login(reader)
    assert client.get(f"/articles/{draft.slug}/").status_code == 200
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 200
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", user=reader)
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404


def test_inactive_grant_holder_sees_nothing(client, people, roles):
    draft = make_article("draft", people, roles)
    early = people["early_access"]
    client.force_login(early)
    User.objects.filter(pk=early.pk).update(is_active=False)
    assert client.get(f"/articles/{draft.slug}/").status_code == 404


def test_withdrawal_purges_the_page_cache(
    client, people, roles, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("published", people, roles)
    asset_url = article.assets.get().get_absolute_url()
    for url in ("/", f"/articles/{article.slug}/"):
        assert SECRET_TITLE.encode() in client.get(url).content
        assert SECRET_TITLE.encode() in client.get(url).content  # second read from the cache
    assert client.get(asset_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    assert SECRET_TITLE.encode() not in client.get("/").content
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert client.get(asset_url).status_code == 404


def test_a_page_rendered_during_a_withdrawal_is_not_served_after_it(
    client, people, roles, django_capture_on_commit_callbacks, monkeypatch
):
    """A request that raced the withdrawal stores its page under the generation it started with."""
    from articles.web import caching, middleware

    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("published", people, roles)
    started_under = caching.page_generation()
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    # Simulate a request that read the generation (and no page) before the purge but finished after.
    monkeypatch.setattr(middleware, "generation_and_page", lambda key: (started_under, None))
    Article.objects.filter(pk=article.pk).update(status=Status.PUBLISHED)
    client.get(f"/articles/{article.slug}/")
    Article.objects.filter(pk=article.pk).update(status=Status.WITHDRAWN)
    monkeypatch.undo()
    assert client.get(f"/articles/{article.slug}/").status_code == 404


def test_a_draft_seen_by_an_editor_is_never_cached_for_others(client, people, roles):
    draft = make_article("draft", people, roles)
    editor_client = client_for(type(client)(), people["editor"])
    assert editor_client.get(f"/articles/{draft.slug}/").status_code == 200
    assert editor_client.get(draft.assets.get().get_absolute_url()).status_code == 200
    # An anonymous client without cookies is exactly who the page cache serves.
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404


def test_public_pages_seen_by_a_signed_in_reader_are_private(client, people, roles):
    article = make_article("published", people, roles)
    client.force_login(people["no_grant"])
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store, max-age=0"


@pytest.mark.parametrize(
    "door",
    ["home", "article", "asset", "tags", "search", "feed", "sitemap", "sitemap-page", "robots"],
)
def test_public_pages_that_delete_a_forged_session_cookie_are_private(people, roles, door):
    """A response carrying Set-Cookie must never be public: a shared cache would replay it."""
    article = make_article("published", people, roles)
    url = {
        "home": "/",
        "article": f"/articles/{article.slug}/",
        "asset": article.assets.get().get_absolute_url(),
        "tags": "/tags/",
        "search": "/search/?q=harbour",
        "feed": "/feeds/rss/",
        "sitemap": "/sitemap.xml",
        "sitemap-page": "/sitemap-articles.xml",
        "robots": "/robots.txt",
    }[door]
    response = ForgedSessionClient().get(url)
    assert response.status_code == 200
    assert cookie_changes(response) == {"sessionid": "deleted"}
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_page_cache_never_stores_a_response_that_sets_a_cookie(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from articles.web.caching import mark_public
    from articles.web.middleware import EmbargoHeadersMiddleware, PublicPageCacheMiddleware

    rendered = []

    def view(request):
        rendered.append(request.path)
        response = mark_public(request, HttpResponse("public page"))
        response.set_cookie("csrftoken", "one reader's")
        return response

    stack = EmbargoHeadersMiddleware(PublicPageCacheMiddleware(view))
    for _ in range(2):
        request = rf.get("/")
        request.user = AnonymousUser()
        response = stack(request)
        assert response["Cache-Control"] == "private, no-store, max-age=0"
    assert len(rendered) == 2  # the second request was not answered from the cache


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/password_change/", "/account/", "/healthz"]
)
@pytest.mark.parametrize("person", ["anonymous", "no_grant", "revoked"])
def test_account_pages_reveal_no_unpublished_work(
    client, people, roles, url, person, storage_sentinel
):
    make_article("draft", people, roles)
    client = client_for(client, people[person])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert SECRET_TITLE.encode() not in response.content


def test_account_page_lists_the_drafts_granted_to_a_reader(client, people, roles):
    make_article("draft", people, roles)
    client.force_login(people["early_access"])
    assert SECRET_TITLE.encode() in client.get("/account/").content


def test_logout_works_by_post_only(client, people):
    client.force_login(people["no_grant"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/").status_code == 302


def test_password_change_done_needs_login(client, db):
    assert client.get("/accounts/password_change/done/").status_code == 302


def test_healthz_reveals_nothing(client, people, roles, storage_sentinel):
    make_article("draft", people, roles)
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "static": "ok",
    }


def _named_routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or pattern.pattern}"


def admin_routes(site: AdminSite) -> list[str]:
    """Every route ``site`` serves, as "admin:<name>": its own ``get_urls()`` and, through the
    include it makes of each, every registered ModelAdmin's. An unnamed route is named by its path
    (``admin:articles/article/<path:object_id>/``), so each model's counts on its own."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, f"{prefix}{pattern.pattern}")
            else:
                yield f"{site.name}:{pattern.name or f'{prefix}{pattern.pattern}'}"

    return list(walk(site.get_urls()))


# The modules whose leak tests name the routes they exercise, each in its own COVERED_ROUTES.
LEAK_TEST_MODULES = [
    "test_admin",
    "test_admin_doors",
    "test_admin_editors",
    "test_admin_people",
    "test_api",
    "test_discovery_leaks",
    "test_editor",
    "test_exposure_dashboard",
]


def covered_routes() -> set[str]:
    """The routes some module's leak tests exercise."""
    modules = [importlib.import_module(f"tests.{name}") for name in LEAK_TEST_MODULES]
    return COVERED_ROUTES.union(*(module.COVERED_ROUTES for module in modules))


def uncovered_routes(site: AdminSite) -> list[str]:
    """The site's routes and the admin's (from ``site``, not the resolver) that no leak test names."""
    outside_the_admin = [
        name
        for name in _named_routes(get_resolver().url_patterns)
        if not name.startswith(f"{admin.site.name}:")
    ]
    covered = covered_routes()
    return [name for name in [*outside_the_admin, *admin_routes(site)] if name not in covered]


def test_every_route_is_covered():
    """A new URL is a new door: it must have leak tests before it can exist."""
    assert uncovered_routes(admin.site) == [], "Routes without leak tests"


def test_the_admin_routes_are_the_ones_the_site_serves():
    """The guard reads the admin from ``admin.site``: it must be the one mounted at /admin/."""
    from articles.admin_site import EmbargoAdminSite

    assert isinstance(admin.site, EmbargoAdminSite)
    mounted = {
        name
        for name in _named_routes(get_resolver().url_patterns)
        if name.startswith("admin:") and "<" not in name and "(" not in name
    }
    assert mounted <= set(admin_routes(admin.site))


def test_an_admin_route_added_to_the_site_without_a_leak_test_fails_the_guard():
    from articles.admin_site import EmbargoAdminSite

    class ThrowawaySite(EmbargoAdminSite):
        def get_urls(self):
            untested = path("untested/", self.admin_view(self.index), name="untested")
            return [untested, *super().get_urls()]

    site = ThrowawaySite(name="admin")
    for model, model_admin in admin.site._registry.items():
        site.register(model, type(model_admin))
    assert uncovered_routes(site) == ["admin:untested"]


def test_an_admin_route_added_to_a_model_admin_without_a_leak_test_fails_the_guard(monkeypatch):
    article_admin = admin.site._registry[Article]
    served = article_admin.get_urls()
    untested = path(
        "<path:object_id>/untested/", lambda request, object_id: None, name="x_untested"
    )
    monkeypatch.setattr(article_admin, "get_urls", lambda: [untested, *served])
    assert uncovered_routes(admin.site) == ["admin:x_untested"]


def test_repeated_failed_logins_lock_out_even_the_right_password(client, people, settings):
    """Brute force: after the failure limit, the right password is refused too, with a message."""
    attempts = [
        client.post("/accounts/login/", {"username": "outsider", "password": "guess"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert attempts[0] == 200  # an ordinary failure first: the form again, with its error
    locked = client.post(
        "/accounts/login/", {"username": "outsider", "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert b"Too many sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_logging_in_issues_a_new_session_key(client, people):
    """Session fixation: a session key planted before login is not the one after it."""
    client.get("/accounts/login/")
    client.cookies["sessionid"] = "planted-session-key"
    response = client.post(
        "/accounts/login/", {"username": "outsider", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != "planted-session-key"
