"""Red team, round 5: attacks on issue 12's speed-ups, kept where they pin a property.

The access lookups are compiled once per process for a stand-in of each shape of person
(``access.prepared``), sessions are read through the same machinery (``articles.sessions``), and a
public article's page is rendered once for every reader it fits (``web.views``). Each test below
runs its people one after another in one process, so every request after the first uses SQL and
pages another person's request left behind: nobody may inherit anyone else's answer.
"""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.contrib.sessions.models import Session
from django.db import connections
from django.utils import timezone
from guardian.utils import get_anonymous_user

from articles import publishing
from articles.access import SYSTEM, prepared, resolve
from articles.models import Status
from articles.publishing.people import user_access_change
from tests.factories import make_article, make_user, png_upload

DRAFT_URL = "/articles/quiet-draft/"
MISSING_URL = "/articles/never-existed/"


def _view_article() -> Permission:
    return Permission.objects.get(content_type__app_label="articles", codename="view_article")


def _is_hidden(client, url: str = DRAFT_URL) -> bool:
    """The draft answers exactly as a slug that never existed does."""
    hidden, missing = client.get(url), client.get(MISSING_URL)
    return hidden.status_code == missing.status_code == 404 and hidden.content == missing.content


def test_a_global_view_through_a_group_reaches_its_members_only_and_ends_with_membership(
    client, db
):
    make_article("quiet-draft", title="Quiet headline")
    desk = Group.objects.create(name="desk-with-global-view")
    desk.permissions.add(_view_article())
    member, outsider = make_user("member"), make_user("outsider")
    member.groups.add(desk)

    client.force_login(member)
    assert b"Quiet headline" in client.get(DRAFT_URL).content  # compiles the reader's SQL
    client.force_login(outsider)  # the same SQL, another reader's id bound
    assert _is_hidden(client)

    user_access_change(actor=SYSTEM, user=member, groups=[])
    client.force_login(User.objects.get(pk=member.pk))
    assert _is_hidden(client)


def test_a_superuser_demoted_or_deactivated_mid_process_sees_no_draft_on_the_next_request(
    client, db
):
    make_article("quiet-draft", title="Quiet headline")
    root = User.objects.create_superuser("root")
    client.force_login(root)
    assert b"Quiet headline" in client.get(DRAFT_URL).content  # compiles the superuser's SQL

    User.objects.filter(pk=root.pk).update(is_superuser=False)
    assert _is_hidden(client)

    User.objects.filter(pk=root.pk).update(is_superuser=True, is_active=False)
    assert _is_hidden(client)


def test_guardians_anonymous_row_holding_view_everywhere_shows_nobody_a_draft(client, db):
    draft = make_article("quiet-draft", files=[png_upload("chart.png")])
    asset_url = draft.assets.get().get_absolute_url()
    anonymous_row = get_anonymous_user()
    anonymous_row.user_permissions.add(_view_article())
    group = Group.objects.create(name="everyone-anonymous")
    group.permissions.add(_view_article())
    anonymous_row.groups.add(group)

    assert _is_hidden(client)
    assert client.get(asset_url).status_code == 404
    client.force_login(make_user("reader"))
    assert _is_hidden(client)
    assert client.get(asset_url).status_code == 404


def test_a_session_ended_elsewhere_or_expired_signs_its_cookie_out_at_once(client, db):
    """Sessions are read through SQL compiled once per process: a logout in another worker (the
    row deleted) or an expiry must still be the next request's answer here."""
    make_article("quiet-draft", title="Quiet headline")
    editor = make_user("editor", perms=("view_article",))
    client.force_login(editor)
    assert b"Quiet headline" in client.get(DRAFT_URL).content
    Session.objects.all().delete()  # another worker's logout
    assert _is_hidden(client)

    client.force_login(editor)
    assert b"Quiet headline" in client.get(DRAFT_URL).content
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert _is_hidden(client)


def test_a_reused_public_page_carries_nothing_of_the_reader_it_was_rendered_for(client, db):
    """Two signed-in readers, the second served the first one's bytes: nothing in them may be
    either reader's (a name, a CSRF token, a nonce) or come from the request's Host header."""
    make_article("open-story", status=Status.PUBLISHED, title="Open headline")
    first, second = make_user("first-reader-name"), make_user("second-reader-name")
    client.force_login(first)
    rendered = client.get("/articles/open-story/", HTTP_HOST="localhost").content
    client.force_login(second)
    reused = client.get("/articles/open-story/", HTTP_HOST="127.0.0.1").content
    assert reused == rendered
    for per_reader in (b"first-reader-name", b"csrfmiddlewaretoken", b"nonce=", b"//localhost"):
        assert per_reader not in reused


def test_a_share_link_fetches_no_file_of_another_hidden_article(client, db):
    """Through a share link the asset lookup asks for any asset of the token (the link decides),
    so the link's scope is all that keeps another article's draft file out."""
    shared = make_article("shared-draft", files=[png_upload("shared.png")])
    other = make_article("other-draft", files=[png_upload("secret.png")])
    _link, token = publishing.preview_link_issue(actor=SYSTEM, article=shared, label="press")
    secret = other.assets.get()
    own = shared.assets.get()
    own_url = f"/preview/{token}{own.get_absolute_url()}"
    foreign_url = f"/preview/{token}{secret.get_absolute_url()}"
    never = f"/preview/{token}/assets/{'A' * len(secret.token)}/{secret.download_name}"
    assert client.get(own_url).status_code == 200
    foreign, missing = client.get(foreign_url), client.get(never)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert sorted(foreign.headers.items()) == sorted(missing.headers.items())


@pytest.mark.parametrize("what", ["page", "asset"])
def test_a_cache_hit_does_not_let_outside_caches_keep_it_past_the_embargo_end(
    client, db, monkeypatch, what
):
    """A hit is sent again later than it was stored: its ``max-age`` must count down to the
    embargo end as a fresh answer's would, or a browser or proxy keeps the page or file that long
    past the end (a hit 90 s after the store said about 100 s:
    about 90 s past the end)."""
    start = timezone.now()
    article = make_article(
        "short-lived", body="![chart](chart.png)", files=[png_upload("chart.png")]
    )
    publishing.article_publish(
        actor=SYSTEM, article=article, unpublish_at=start + timedelta(seconds=100)
    )
    url = "/articles/short-lived/" if what == "page" else article.assets.get().get_absolute_url()
    stored = client.get(url)
    assert stored.status_code == 200

    # The page cache expires by the real clock, so the entry is still there 90 s "later".
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=90))
    hit = client.get(url)
    assert hit.status_code == 200
    assert "max-age=10" in hit["Cache-Control"]

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=100))
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_people_asking_at_once_from_threads_each_get_their_own_answer():
    """As under the threaded ``runserver``: the SQL is compiled by whichever thread asks first,
    while the others of the same shape bind their own ids into it."""
    draft = make_article("quiet-draft")
    granted = make_user("granted")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=granted)
    people = [
        (granted, True),
        (User.objects.create_superuser("root"), True),
        (AnonymousUser(), False),
        *((make_user(f"reader-{n}"), False) for n in range(3)),
        (User.objects.create_superuser("gone-root", is_active=False), False),
    ]
    barrier = threading.Barrier(len(people))
    wrong: list[str] = []

    def ask(person, sees_it: bool) -> None:
        try:
            barrier.wait()
            for _ in range(30):
                found = prepared.first(
                    resolve._visible_article_lookup, person, "quiet-draft", timezone.now()
                )
                if (found is not None) != sees_it:
                    wrong.append(str(person))
        finally:
            connections.close_all()

    prepared._compile.cache_clear()
    try:
        threads = [threading.Thread(target=ask, args=pair) for pair in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        prepared._compile.cache_clear()  # compiled on threads whose connections are now closed
    assert wrong == []
