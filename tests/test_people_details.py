"""Usernames, names and e-mail addresses change through ``people.user_details_change``: guarded,
audited before → after, and a changed public byline drops the cached public pages with it."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from articles import publishing
from articles.access import SYSTEM
from articles.models import AuditEvent
from articles.publishing import people
from articles.roles import ACCESS_ADMINISTRATORS
from articles.web.caching import public_generation
from tests.factories import make_article, make_user, staff
from tests.test_admin_people import login, user_form, user_url

pytestmark = pytest.mark.django_db
ACCOUNT_EDITOR_PERMS = ("auth.view_user", "auth.change_user", "auth.add_user")


@pytest.fixture
def account_editor() -> User:
    """Staff with Django's view/change/add_user, without the Access administrators role."""
    return staff("helpdesk", perms=ACCOUNT_EDITOR_PERMS)


@pytest.fixture
def alice() -> User:
    return make_user("alice")


def details_events(user: User) -> list[dict]:
    return list(
        AuditEvent.objects.filter(target_user=user, action=AuditEvent.Action.DETAILS_CHANGE)
        .order_by("id")
        .values_list("detail", flat=True)
    )


def test_change_user_holder_cannot_rename_anyone_through_the_admin(client, account_editor, alice):
    """Refused as a form error: grants by username would otherwise go to whoever takes the name."""
    response = login(client, account_editor).post(
        user_url("change", alice), user_form(alice, username="alice-old")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("Nothing was changed." in error for error in errors)
    assert User.objects.filter(pk=alice.pk, username="alice").exists()
    assert not AuditEvent.objects.exists()


def test_change_user_holder_cannot_rename_themselves_either(client, account_editor, alice):
    response = login(client, account_editor).post(
        user_url("change", account_editor), user_form(account_editor, username="alice2")
    )
    assert response.status_code == 200
    assert User.objects.get(pk=account_editor.pk).username == "helpdesk"


def test_a_name_change_through_the_admin_is_audited_before_and_after(client, account_editor, alice):
    response = login(client, account_editor).post(
        user_url("change", alice), user_form(alice, first_name="Alice", email="a@example.org")
    )
    assert response.status_code == 302
    assert details_events(alice) == [
        {"field": "first_name", "before": "", "after": "Alice"},
        {"field": "email", "before": "", "after": "a@example.org"},
    ]
    assert AuditEvent.objects.filter(target_user=alice).get(detail__field="first_name").actor_name
    assert User.objects.get(pk=alice.pk).first_name == "Alice"


def test_an_access_administrator_renames_audited(client, alice):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    response = login(client, admin).post(
        user_url("change", alice), user_form(alice, username="alice-smith")
    )
    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).username == "alice-smith"
    event = AuditEvent.objects.get(target_user=alice)
    assert (event.actor_name, event.detail) == (
        "ada",
        {"field": "username", "before": "alice", "after": "alice-smith"},
    )


@pytest.mark.parametrize("name", ["system", "System", "anonymous", "AnonymousUser", "ALICE"])
def test_nobody_is_renamed_to_a_name_that_passes_for_someone_else(alice, name):
    """Not the shell's or nobody's name in the trail, nor another person's in other letter case."""
    bob = make_user("bob")
    with pytest.raises(ValidationError):
        people.user_details_change(actor=SYSTEM, user=bob, username=name)
    assert User.objects.get(pk=bob.pk).username == "bob"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", ["system", "Alice"])
def test_a_new_account_cannot_take_a_reserved_or_existing_name(client, account_editor, alice, name):
    response = login(client, account_editor).post(
        "/admin/auth/user/add/",
        {"username": name, "usable_password": "false", "_save": "Save"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"]
    assert not User.objects.filter(username=name).exists()


def test_the_service_refuses_a_rename_by_someone_without_the_role(account_editor, alice):
    with pytest.raises(PermissionDenied, match=r"Nothing was changed\."):
        people.user_details_change(actor=account_editor, user=alice, username="mallory")
    assert User.objects.get(pk=alice.pk).username == "alice"


def test_renaming_a_public_author_drops_the_cached_public_pages():
    author = make_user("writer")
    article = make_article("out-now", status="published")
    article.author = author
    article.save(update_fields=["author"])
    before = public_generation()
    people.user_details_change(actor=SYSTEM, user=author, first_name="Wendy")
    assert public_generation() == before + 1
    page = Client().get("/articles/out-now/").content.decode()
    assert "By Wendy" in page


def test_changes_no_public_byline_shows_keep_the_page_cache():
    """An e-mail address, or the name of someone who authored only drafts, is not on a public page."""
    public_author, draft_author = make_user("writer"), make_user("drafter")
    for slug, status, author in (
        ("out", "published", public_author),
        ("in", "draft", draft_author),
    ):
        article = make_article(slug, status=status)
        article.author = author
        article.save(update_fields=["author"])
    before = public_generation()
    people.user_details_change(actor=SYSTEM, user=public_author, email="w@example.org")
    people.user_details_change(actor=SYSTEM, user=draft_author, first_name="Dora")
    assert public_generation() == before


def test_a_grant_event_names_the_account_by_its_pk_as_well(alice):
    article = make_article("quiet")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=alice)
    publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=alice)
    details = list(AuditEvent.objects.filter(article=article).values_list("detail", flat=True))
    assert {"perm": "view", "user": "alice", "user_id": alice.pk} in details
    assert all(d.get("user_id") == alice.pk for d in details if "user" in d)


@pytest.mark.parametrize("details", [{"username": "has space"}, {"email": "not-an-address"}])
def test_the_service_refuses_what_the_model_refuses(alice, details):
    with pytest.raises(ValidationError):
        people.user_details_change(actor=SYSTEM, user=alice, **details)
    assert not AuditEvent.objects.exists()
