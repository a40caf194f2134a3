"""The User and Group admin (articles/admin/people.py): guarded, audited, and explained in plain words.

``COVERED_ROUTES`` names the people pages whose leak tests live here; test_leaks.py's route walk
fails for any ``admin:auth_*`` route missing from it.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import access, publishing
from articles.access import SYSTEM
from articles.admin import people as admin_people
from articles.models import Article, AuditEvent
from articles.publishing import people
from articles.roles import ACCESS_ADMINISTRATORS, ROLE_DESCRIPTIONS
from tests.factories import make_article, make_user, permission, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db
MISSING_PK = 987654

# Every admin route for people: (route name, URL arguments with "{pk}" for the object).
PEOPLE_PAGES = {
    "admin:auth_user_changelist": (),
    "admin:auth_user_add": (),
    "admin:auth_user_change": ("{pk}",),
    "admin:auth_user_history": ("{pk}",),
    "admin:auth_user_delete": ("{pk}",),
    "admin:auth_user_password_change": ("{pk}",),
    "admin:auth_group_changelist": (),
    "admin:auth_group_add": (),
    "admin:auth_group_change": ("{pk}",),
    "admin:auth_group_history": ("{pk}",),
    "admin:auth_group_delete": ("{pk}",),
}
COVERED_ROUTES = set(PEOPLE_PAGES)


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def user_url(name: str, user: User | int) -> str:
    return reverse(f"admin:auth_user_{name}", args=[getattr(user, "pk", user)])


def group_url(name: str, group: Group | int) -> str:
    return reverse(f"admin:auth_group_{name}", args=[getattr(group, "pk", group)])


def user_form(user: User, **changes) -> dict:
    """The user change form as the admin would post it, with ``changes`` applied."""
    joined = timezone.localtime(user.date_joined)
    values = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        **changes,
    }
    data = {name: value for name, value in values.items() if not isinstance(value, bool)}
    data |= {name: "on" for name, value in values.items() if value is True}
    data |= {"date_joined_0": joined.date().isoformat(), "date_joined_1": joined.time().isoformat()}
    return {**data, "_save": "Save"}


def group_form(group: Group, **changes) -> dict:
    return {
        "name": group.name,
        "permissions": [p.pk for p in group.permissions.all()],
        "members": [user.pk for user in group.user_set.all()],
        "_save": "Save",
        **changes,
    }


@pytest.fixture
def account_editor() -> User:
    """Staff with Django's change_user and change_group, without the Access administrators role."""
    return staff(
        "carol",
        perms=("auth.view_user", "auth.change_user", "auth.view_group", "auth.change_group"),
    )


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root")


@pytest.fixture
def reader() -> User:
    return make_user("rita")


@pytest.fixture
def draft() -> Article:
    return make_article("quiet-merger", title="Quiet merger")


def reader_unchanged(reader: User) -> None:
    reader.refresh_from_db()
    assert not reader.user_permissions.exists() and not reader.groups.exists()
    assert (reader.is_staff, reader.is_superuser, reader.is_active) == (False, False, True)
    # Names and e-mail are audited too (people.user_details_change), but reach no article.
    changed_access = AuditEvent.objects.filter(target_user=reader).exclude(
        action=AuditEvent.Action.DETAILS_CHANGE
    )
    assert not changed_access.exists()


# --- refused: change_user without the role ------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"user_permissions": "articles.view_article"},
        {"groups": "Editors"},
        {"groups": "Early access"},
        {"is_staff": True},
        {"is_superuser": True},
    ],
)
def test_change_user_holder_cannot_give_access_through_the_user_page(
    client, account_editor, reader, change
):
    """Refused as a form error, and nothing about the reader changes."""
    if "user_permissions" in change:
        change = {"user_permissions": [permission(change["user_permissions"]).pk]}
    elif "groups" in change:
        change = {"groups": [Group.objects.get(name=change["groups"]).pk]}
    response = login(client, account_editor).post(
        user_url("change", reader), user_form(reader, first_name="Rita", **change)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("Nothing was changed." in error for error in errors)
    assert "Access administrators" in response.content.decode()
    reader_unchanged(reader)
    assert User.objects.get(pk=reader.pk).first_name == ""
    assert not AuditEvent.objects.exists()


def test_change_group_holder_cannot_add_members_or_permissions_to_a_role(
    client, account_editor, reader
):
    early = Group.objects.get(name="Early access")
    for change in (
        {"members": [reader.pk]},
        {"permissions": [permission("articles.view_article").pk]},
    ):
        response = login(client, account_editor).post(
            group_url("change", early), group_form(early, **change)
        )
        assert response.status_code == 200
        assert "Nothing was changed." in response.content.decode()
    assert not early.user_set.exists() and not early.permissions.exists()
    assert not AuditEvent.objects.exists()


def test_change_user_holder_still_edits_names(client, account_editor, reader):
    response = login(client, account_editor).post(
        user_url("change", reader), user_form(reader, first_name="Rita")
    )
    assert response.status_code == 302
    assert User.objects.get(pk=reader.pk).first_name == "Rita"
    reader_unchanged(reader)
    assert AuditEvent.objects.get(target_user=reader).detail["after"] == "Rita"


def test_change_user_holder_cannot_set_a_password(client, account_editor, reader):
    response = login(client, account_editor).post(
        user_url("password_change", reader),
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 200
    assert "set another person&#x27;s password" in response.content.decode()
    assert not User.objects.get(pk=reader.pk).has_usable_password()
    assert not AuditEvent.objects.exists()


def test_access_administrator_cannot_make_a_superuser(client, reader):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    response = login(client, admin).post(
        user_url("change", reader), user_form(reader, is_superuser=True)
    )
    assert "Only superusers may make someone a superuser" in response.content.decode()
    assert not User.objects.get(pk=reader.pk).is_superuser


def test_role_names_cannot_be_changed(client, root):
    editors = Group.objects.get(name="Editors")
    login(client, root).post(group_url("change", editors), group_form(editors, name="Renamed"))
    assert Group.objects.filter(name="Editors").exists()


# --- allowed: superusers and access administrators, and it shows --------------------------------


def test_superuser_gives_view_article_and_the_trail_who_can_see_and_access_page_show_it(
    client, root, reader, draft
):
    view = permission("articles.view_article")
    response = login(client, root).post(
        user_url("change", reader), user_form(reader, user_permissions=[view.pk])
    )
    assert response.status_code == 302
    assert reader.has_perm("articles.view_article")

    event = AuditEvent.objects.get(target_user=reader)
    assert (event.action, event.actor, event.target_name) == (
        AuditEvent.Action.PERMISSIONS_CHANGE,
        root,
        "rita",
    )
    assert event.detail["before"] == [] and event.detail["after"] == ["articles.view_article"]

    holders = access.who_can_see(draft).global_holders
    assert access.Holder("user", "rita", ("view",), "global") in holders
    publishing.access_grant(actor=SYSTEM, article=draft, perm="share", user=root)
    page = client.get(reverse("admin:articles_article_access", args=[draft.pk])).content.decode()
    rights_on_every_article = page.split("Rights on every article")[1].split("</table>")[0]
    assert "user rita" in rights_on_every_article


def test_superuser_adds_a_member_through_the_group_page(client, root, reader, draft):
    editors = Group.objects.get(name="Editors")
    response = login(client, root).post(
        group_url("change", editors), group_form(editors, members=[reader.pk])
    )
    assert response.status_code == 302
    assert set(editors.user_set.all()) == {reader}
    event = AuditEvent.objects.get(target_group=editors)
    assert event.action == AuditEvent.Action.MEMBERSHIP_CHANGE
    assert (event.detail["added"], event.actor) == (["rita"], root)
    editors_holder = next(
        h for h in access.who_can_see(draft).global_holders if h.name == "Editors"
    )
    assert editors_holder.members == ("rita",)


def test_access_administrator_gives_a_role_group_through_the_user_page(client, reader):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    publishers = Group.objects.get(name="Publishers")
    response = login(client, admin).post(
        user_url("change", reader), user_form(reader, groups=[publishers.pk])
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(target_user=reader).detail["after"] == ["Publishers"]


def test_access_administrator_sets_a_password_audited(client, reader):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    response = login(client, admin).post(
        user_url("password_change", reader),
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=reader.pk).check_password("a-new-long-passphrase")
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_SET)
    assert "passphrase" not in str(event.detail) and event.target_user == reader


def test_new_group_with_permissions_is_audited(client, root):
    response = login(client, root).post(
        reverse("admin:auth_group_add"),
        {
            "name": "Night desk",
            "permissions": [permission("articles.view_article").pk],
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(target_name="Night desk")
    assert event.detail["added"] == ["articles.view_article"]


# --- plain words ---------------------------------------------------------------------------------


def test_user_page_says_what_each_role_allows_and_what_you_may_change(
    client, account_editor, reader
):
    page = login(client, account_editor).get(user_url("change", reader)).content.decode()
    for description in ROLE_DESCRIPTIONS.values():
        assert description.replace("'", "&#x27;") in page
    assert "You may change names and e-mail addresses." in page


def test_group_page_describes_its_role(client, root):
    publishers = Group.objects.get(name="Publishers")
    page = login(client, root).get(group_url("change", publishers)).content.decode()
    assert f"<strong>Members of this role</strong>: {ROLE_DESCRIPTIONS['Publishers']}" in page


# --- doors ---------------------------------------------------------------------------------------


def _url(name: str, pk: int) -> str:
    return reverse(name, args=[arg.format(pk=pk) for arg in PEOPLE_PAGES[name]])


@pytest.mark.parametrize("name", sorted(PEOPLE_PAGES))
@pytest.mark.parametrize("person", ["anonymous", "reader", "staff"])
def test_people_pages_refuse_alike_whether_the_object_exists(client, reader, name, person):
    """Without a staff login: the admin login; staff without rights: 403 — for any id alike."""
    target = reader.pk if "user" in name else Group.objects.get(name="Editors").pk
    if person == "reader":
        login(client, reader)
    elif person == "staff":
        login(client, staff("olga", "Authors"))
    existing = client.get(_url(name, target))
    missing = client.get(_url(name, MISSING_PK))
    expected = 302 if person != "staff" else 403
    assert existing.status_code == expected
    # The login page's ?next= names the page asked for, so each side masks its own id.
    assert_same_shape(existing, missing, asked=[(f"/{target}/", f"/{MISSING_PK}/")])
    if expected == 302:
        assert existing["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", ["admin:auth_user_delete", "admin:auth_group_delete"])
def test_only_superusers_delete_people_or_groups(client, reader, name):
    target = reader.pk if "user" in name else Group.objects.get(name="Editors").pk
    admin = staff("ada", ACCESS_ADMINISTRATORS, perms=("auth.delete_user", "auth.delete_group"))
    assert login(client, admin).post(_url(name, target), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=reader.pk).exists()
    assert Group.objects.filter(name="Editors").exists()


def test_access_administrators_read_the_trail_of_people_but_not_of_hidden_articles(
    client, reader, draft
):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    people.user_access_change(actor=SYSTEM, user=reader, is_staff=True)
    page = (
        login(client, admin).get(reverse("admin:articles_auditevent_changelist")).content.decode()
    )
    assert "rita" in page
    assert "quiet-merger" not in page


def test_access_page_and_who_can_see_name_the_access_administrators(client, root, draft):
    """They read no drafts, but may give themselves the right to: the Access page says so."""
    staff("ada", ACCESS_ADMINISTRATORS)
    role = next(
        h for h in access.who_can_see(draft).global_holders if h.name == ACCESS_ADMINISTRATORS
    )
    assert (role.perms, role.members) == (("administer_access",), ("ada",))
    publishing.access_grant(actor=SYSTEM, article=draft, perm="share", user=root)
    page = login(client, root).get(reverse("admin:articles_article_access", args=[draft.pk]))
    assert "may give anyone, themselves included, rights on every article" in page.content.decode()


def test_a_form_not_told_who_is_acting_refuses(reader):
    """Fail closed: a form used outside the admin is not the trusted shell."""
    form_class = admin_people.PeopleGroupForm
    editors = Group.objects.get(name="Editors")
    form = form_class(group_form(editors, members=[reader.pk]), instance=editors)
    assert not form.is_valid()
    assert not editors.user_set.exists()


def test_deactivating_through_the_admin_ends_the_persons_session(client, reader):
    admin = staff("ada", ACCESS_ADMINISTRATORS)
    theirs = login(Client(), reader)
    assert theirs.get("/account/").status_code == 200
    response = login(client, admin).post(
        user_url("change", reader), user_form(reader, is_active=False)
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(target_user=reader)
    assert (event.action, event.detail["before"], event.detail["after"]) == (
        AuditEvent.Action.ACCOUNT_CHANGE,
        True,
        False,
    )
    assert theirs.get("/account/").status_code == 302
