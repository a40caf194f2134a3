"""Changes to people (articles/publishing/people.py): who may make them, the audit trail, and their effect."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from guardian.utils import get_anonymous_user

from articles import checks, exposure, publishing
from articles.access import SYSTEM
from articles.access import global_permission_holders as access_holders
from articles.demo import load_demo
from articles.models import AuditEvent
from articles.publishing import people
from articles.roles import ACCESS_ADMINISTRATORS
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def perm(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def role(name: str) -> Group:
    return Group.objects.get(name=name)


@pytest.fixture
def account_editor() -> User:
    """Staff holding Django's auth.change_user, but not the Access administrators role."""
    user = make_user("carol")
    user.is_staff = True
    user.save()
    user.user_permissions.add(perm("auth.change_user"), perm("auth.change_group"))
    return user


@pytest.fixture
def access_admin() -> User:
    return make_user("ada", groups=(ACCESS_ADMINISTRATORS,))


@pytest.fixture
def reader() -> User:
    return make_user("rita")


def test_the_access_administrators_role_exists_after_migrate():
    codenames = set(role(ACCESS_ADMINISTRATORS).permissions.values_list("codename", flat=True))
    assert codenames == {"administer_access", "view_auditevent"}


def test_shell_change_is_audited_with_whom_and_before_and_after(reader):
    people.user_access_change(actor=SYSTEM, user=reader, groups=[role("Editors")])
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBERSHIP_CHANGE)
    assert (event.actor_name, event.target_user, event.target_name) == ("system", reader, "rita")
    assert event.detail == {
        "field": "groups",
        "before": [],
        "after": ["Editors"],
        "added": ["Editors"],
        "removed": [],
    }


def test_unchanged_values_write_no_event(reader):
    people.user_access_change(actor=SYSTEM, user=reader, is_active=True, groups=[], permissions=[])
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"permissions": ["articles.view_article"]},
        {"groups": ["Publishers"]},
        {"groups": ["Early access"]},
        {"is_staff": True},
        {"is_active": False},
    ],
)
def test_holding_change_user_is_not_enough_to_change_access(account_editor, reader, change):
    """Django's auth.change_user lets its holder edit accounts, never give access or status."""
    if "permissions" in change:
        change = {"permissions": [perm(label) for label in change["permissions"]]}
    if "groups" in change:
        change = {"groups": [role(name) for name in change["groups"]]}
    with pytest.raises(PermissionDenied, match=r"Access administrators may .*Nothing was changed"):
        people.user_access_change(actor=account_editor, user=reader, **change)
    reader.refresh_from_db()
    assert (reader.is_staff, reader.is_active) == (False, True)
    assert not reader.groups.exists() and not reader.user_permissions.exists()
    assert not AuditEvent.objects.exists()


def test_access_administrator_gives_global_view_and_a_role_group(access_admin, reader):
    people.user_access_change(
        actor=access_admin,
        user=reader,
        permissions=[perm("articles.view_article")],
        groups=[role("Publishers")],
    )
    assert reader.has_perm("articles.view_article")
    events = AuditEvent.objects.filter(target_user=reader, actor=access_admin)
    assert {event.action for event in events} == {
        AuditEvent.Action.PERMISSIONS_CHANGE,
        AuditEvent.Action.MEMBERSHIP_CHANGE,
    }


@pytest.mark.parametrize(
    "change",
    ["is_superuser", "auth.change_user", "articles.administer_access", ACCESS_ADMINISTRATORS],
)
def test_only_superusers_hand_out_more_than_article_rights(access_admin, reader, change):
    """Access administrators cannot make superusers, account editors or more of themselves."""
    if change == "is_superuser":
        kwargs = {"is_superuser": True}
    elif change == ACCESS_ADMINISTRATORS:
        kwargs = {"groups": [role(ACCESS_ADMINISTRATORS)]}
    else:
        kwargs = {"permissions": [perm(change)]}
    with pytest.raises(PermissionDenied, match="Only superusers may"):
        people.user_access_change(actor=access_admin, user=reader, **kwargs)
    root = User.objects.create_superuser("root")
    people.user_access_change(actor=root, user=reader, **kwargs)
    assert AuditEvent.objects.filter(actor=root, target_user=reader).count() == 1


def test_only_a_superuser_deactivates_a_superuser(access_admin):
    root = User.objects.create_superuser("root")
    with pytest.raises(PermissionDenied, match="change a superuser's account"):
        people.user_access_change(actor=access_admin, user=root, is_active=False)
    assert User.objects.get(pk=root.pk).is_active


def test_group_members_and_permissions_are_audited_against_the_group(access_admin, reader):
    early = role("Early access")
    people.group_access_change(
        actor=access_admin,
        group=early,
        members=[reader],
        permissions=[perm("articles.view_article")],
    )
    assert set(early.user_set.all()) == {reader}
    events = AuditEvent.objects.filter(target_group=early, target_name="Early access")
    assert sorted(event.detail["field"] for event in events) == ["members", "permissions"]


def test_group_members_need_the_role_too(account_editor, reader):
    with pytest.raises(PermissionDenied, match="membership of “Editors”"):
        people.group_access_change(actor=account_editor, group=role("Editors"), members=[reader])
    assert not role("Editors").user_set.exists()


def test_the_anonymous_user_gets_no_groups():
    with pytest.raises(ValidationError, match="only publishing makes an article public"):
        people.user_access_change(actor=SYSTEM, user=get_anonymous_user(), groups=[role("Editors")])


def test_setting_someone_elses_password_needs_the_role(account_editor, access_admin, reader):
    with pytest.raises(PermissionDenied, match="set another person's password"):
        people.user_password_set(actor=account_editor, user=reader, password=PASSWORD)
    people.user_password_set(actor=access_admin, user=reader, password=PASSWORD)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_SET)
    assert (event.actor, event.target_user, event.detail) == (
        access_admin,
        reader,
        {"usable": True},
    )


def test_deactivation_ends_a_signed_in_session_on_the_next_request(client, reader):
    """Django's ModelBackend returns no user for an inactive account's session."""
    reader.set_password(PASSWORD)
    reader.save()
    assert (
        client.post("/accounts/login/", {"username": "rita", "password": PASSWORD}).status_code
        == 302
    )
    assert client.get("/account/").status_code == 200
    people.user_access_change(actor=SYSTEM, user=reader, is_active=False)
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_deactivation_ends_access_to_drafts_granted_globally(client, reader):
    draft = make_article("quiet-draft")
    people.user_access_change(
        actor=SYSTEM, user=reader, permissions=[perm("articles.view_article")]
    )
    client.force_login(reader)
    assert client.get(f"/articles/{draft.slug}/").status_code == 200
    people.user_access_change(actor=SYSTEM, user=reader, is_active=False)
    assert client.get(f"/articles/{draft.slug}/").status_code == 404


# --- visible: the check and the exposure audit ---------------------------------------------------


def test_check_warns_of_a_non_superuser_holding_change_user(account_editor):
    warnings = [
        w for w in checks.check_account_admin_permissions_only_for_superusers() if "carol" in w.msg
    ]
    assert {w.id for w in warnings} == {"embargo.W020"}
    assert any("auth.change_user (directly)" in w.msg for w in warnings)


def test_check_warns_of_change_user_held_through_a_group(reader):
    group = Group.objects.create(name="Helpdesk")
    group.permissions.add(perm("auth.change_user"))
    reader.groups.add(group)
    (warning,) = checks.check_account_admin_permissions_only_for_superusers()
    assert "“rita” holds auth.change_user (through group “Helpdesk”)" in warning.msg


def test_check_is_quiet_for_superusers_and_the_role(access_admin):
    User.objects.create_superuser("root")
    assert checks.check_account_admin_permissions_only_for_superusers() == []


def test_manage_py_check_shows_the_warning(account_editor, capsys):
    call_command("check", "--database", "default")
    assert "embargo.W020" in capsys.readouterr().err


def test_exposure_reports_readers_of_every_draft_and_account_editors(account_editor):
    make_user("eve", groups=("Editors",))
    User.objects.create_superuser("root")
    found = {(f.object, f.vector, f.evidence) for f in exposure.people_findings()}
    assert (
        "user eve",
        "global permission",
        "reads every unpublished article: holds articles.view_article through group “Editors”.",
    ) in found
    assert any(
        obj == "user carol" and vector == "account administration" for obj, vector, _ in found
    )
    assert not any(obj == "user root" for obj, _vector, _evidence in found)
    assert all(f.severity == exposure.WARNING for f in exposure.people_findings())


# --- the trail and the commands show it ----------------------------------------------------------


def test_audit_log_names_whom_and_before_and_after(reader):
    people.user_access_change(actor=SYSTEM, user=reader, groups=[role("Editors")])
    out = io.StringIO()
    call_command("audit_log", stdout=out)
    assert "system  membership_change  to rita  groups: [] → ['Editors']" in out.getvalue()


def test_who_can_see_command_lists_a_global_grant(reader):
    draft = make_article("quiet-draft")
    people.user_access_change(
        actor=SYSTEM, user=reader, permissions=[perm("articles.view_article")]
    )
    out = io.StringIO()
    call_command("who_can_see", draft.slug, stdout=out)
    assert "  user rita: view (global)" in out.getvalue()


def test_demo_roles_are_given_through_the_audited_service():
    load_demo()
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBERSHIP_CHANGE, target_name="editor")
    assert event.detail["after"] == ["Editors", "Publishers"]
    load_demo()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBERSHIP_CHANGE).count() == 2


@pytest.mark.parametrize("count", [2, 20])
def test_global_holders_take_four_queries_however_many(count, django_assert_num_queries):
    for number in range(count):
        make_user(f"editor-{number}", groups=("Editors",), perms=("view_article",))
    with django_assert_num_queries(4):
        holders = access_holders(["articles.view_article"])
    assert len(holders) == 2 * count


def test_setup_roles_repairs_a_role_through_the_audited_service():
    role("Editors").permissions.remove(perm("articles.change_article"))
    call_command("setup_roles", stdout=io.StringIO())
    assert role("Editors").permissions.filter(codename="change_article").exists()
    event = AuditEvent.objects.get(target_name="Editors")
    assert event.detail["added"] == ["articles.change_article"]
    call_command("setup_roles", stdout=io.StringIO())
    assert AuditEvent.objects.count() == 1


def test_deactivating_a_creator_ends_their_share_links_for_good(client):
    """The link dies on the next request, and stays dead when the account is reactivated."""
    author = make_user("link-author", groups=("Authors",))
    draft = publishing.article_create(actor=author, slug="deactivated-draft", title="Draft")
    link, token = publishing.preview_link_issue(actor=author, article=draft, label="Legal")
    assert client.get(f"/preview/{token}/").status_code == 200

    people.user_access_change(actor=SYSTEM, user=author, is_active=False)
    assert client.get(f"/preview/{token}/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PREVIEW_REVOKE, article=draft
    ).exists()

    people.user_access_change(actor=SYSTEM, user=author, is_active=True)
    assert client.get(f"/preview/{token}/").status_code == 404


def test_leaving_a_role_group_ends_the_links_issued_through_it(client):
    editor = make_user("group-editor", groups=("Editors",))
    draft = make_article("group-draft")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="share", user=editor)
    link, token = publishing.preview_link_issue(actor=editor, article=draft, label="Desk")
    assert client.get(f"/preview/{token}/").status_code == 200

    editors = Group.objects.get(name="Editors")
    people.group_access_change(actor=SYSTEM, group=editors, members=[])
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(f"/preview/{token}/").status_code == 404
