"""Fixtures shared by every test module."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command
from django.test.utils import override_settings

# The shape comparisons live in a helper module: let pytest show what differed, not only where.
pytest.register_assert_rewrite("tests.response_shape")

from tests.response_shape import FORGED_SESSION  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory, django_test_environment):
    """Pages link hashed static names, as in production: collect them once, somewhere temporary."""
    root = tmp_path_factory.mktemp("static-root")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, one for the session: Playwright's sync API runs once per process."""
    from playwright.sync_api import sync_playwright

    from tools.demo_site import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def own_cache_database_per_worker(worker_id, django_test_environment):
    """Each pytest-xdist worker ("gw0", "gw1" …) gets its own Redis database, counting down.

    Every test clears the cache, and on Redis a clear empties the whole database, so two workers
    sharing one would wipe each other's pages mid-test. (pytest-django already gives each worker its
    own test database.)
    """
    default = django_settings.CACHES["default"]
    if not worker_id.startswith("gw") or "redis" not in default["BACKEND"].lower():
        yield
        return
    location = urlsplit(default["LOCATION"])
    database = int(location.path.lstrip("/") or 0) - int(worker_id.removeprefix("gw"))
    if database < 0:
        pytest.exit(f"REDIS_URL={default['LOCATION']} leaves no Redis database for {worker_id}")
    own = urlunsplit(location._replace(path=f"/{database}"))
    with override_settings(CACHES={"default": {**default, "LOCATION": own}}):
        yield


@pytest.fixture(autouse=True)
def asset_storage_in_tmp(tmp_path, settings):
    """Every test stores assets in its own temporary directory, never under var/."""
    location = tmp_path / "private-assets"
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {
            "BACKEND": "articles.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    settings.ASSET_ROOT = location
    return location


@pytest.fixture(autouse=True)
def empty_cache():
    """The page cache starts empty in every test, so one test's pages never answer another's."""
    for each in caches.all():  # the API lock-out's own cache too
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    """Creating the test database migrates, which writes /healthz's storage sentinel: not in var/."""
    from django.conf import settings as django_settings

    location = tmp_path_factory.mktemp("migrate-assets")
    assets = {
        "BACKEND": "articles.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": location},
    }
    with override_settings(STORAGES={**django_settings.STORAGES, "assets": assets}):
        yield


@pytest.fixture
def storage_sentinel(asset_storage_in_tmp):
    """The test's private storage as `manage.py migrate` leaves a deployment's: /healthz finds it."""
    from articles.web.health import ensure_storage_sentinel

    ensure_storage_sentinel()
    return asset_storage_in_tmp


@pytest.fixture
def roles(db):
    """The role groups the migrations made, by name."""
    from django.contrib.auth.models import Group

    return {group.name: group for group in Group.objects.all()}


@pytest.fixture
def people(db, roles):
    """The leak matrix's readers (tests/leak_matrix.py's PEOPLE), each a user or how to be one."""
    from django.contrib.auth.models import User

    def user(name, **kwargs):
        return User.objects.create_user(name, password="correct horse battery", **kwargs)

    author = user("author", is_staff=True)
    author.groups.add(roles["Authors"])
    editor = user("editor", is_staff=True)
    editor.groups.add(roles["Editors"])
    early = user("early")
    early.groups.add(roles["Early access"])
    return {
        "anonymous": None,
        "forged_session": FORGED_SESSION,
        "no_grant": user("outsider"),
        "early_access": early,
        "revoked": user("former"),
        "author": author,
        "editor": editor,
        "superuser": User.objects.create_superuser("root", password="correct horse battery"),
    }


# The newsroom of the admin's tests: an author, an editor, the author's draft and a published article.


@pytest.fixture
def author(db):
    from tests.factories import staff

    return staff("alice", "Authors")


@pytest.fixture
def editor(db):
    from tests.factories import staff

    return staff("eddie", "Editors")


@pytest.fixture
def draft(author):
    """The author's draft: a secret that nobody else was granted."""
    from articles import publishing

    return publishing.article_create(
        actor=author, slug="secret-merger", title="Secret merger", body="Embargoed words."
    )


@pytest.fixture
def published(db):
    from articles import publishing
    from articles.access import SYSTEM

    article = publishing.article_create(
        actor=SYSTEM, slug="old-news", title="Old news", body="Known."
    )
    return publishing.article_publish(actor=SYSTEM, article=article)


# Two publishers (a restricted article's publication needs a second one's approval).


@pytest.fixture
def ada(db):
    from tests.factories import make_user

    return make_user("ada", groups=("Publishers",))


@pytest.fixture
def bob(db):
    from tests.factories import make_user

    return make_user("bob", groups=("Publishers",))


@pytest.fixture
def restricted(draft, ada):
    """The module's ``draft``, classified restricted by ``ada``."""
    from articles.publishing import classification

    return classification.article_classify(actor=ada, article=draft, classification="restricted")
