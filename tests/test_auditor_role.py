"""The Auditors role reads the exposure audit and may take access away, never hand it out.

It once held a global ``share_article`` because the Exposure page's one-click revokes went through
services that asked for ``share``; that also let any auditor issue a share link to every draft.
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied

from articles import publishing
from articles.access import SYSTEM
from articles.models import PreviewLink
from articles.roles import AUDITORS, ROLES
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor() -> User:
    user = make_user("audrey", groups=(AUDITORS,))
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def draft():
    return make_article("quiet-merger", body="Embargoed words.")


def test_an_auditor_cannot_issue_a_share_link_to_a_draft_they_were_not_granted(auditor, draft):
    with pytest.raises(PermissionDenied):
        publishing.preview_link_issue(actor=auditor, article=draft, label="A friend outside")
    assert not PreviewLink.objects.filter(article=draft).exists()


def test_an_auditor_cannot_grant_access_to_a_draft(auditor, draft):
    outsider = make_user("olive")
    with pytest.raises(PermissionDenied):
        publishing.access_grant(actor=auditor, article=draft, perm="view", user=outsider)
    assert not outsider.has_perm("articles.view_article", draft)


def test_an_auditor_may_still_revoke_a_share_link_and_a_grant(auditor, draft):
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)

    publishing.preview_link_revoke(actor=auditor, link=link)
    publishing.access_revoke(actor=auditor, article=draft, perm="view", user=reader)

    assert PreviewLink.objects.get(pk=link.pk).revoked_at is not None
    assert not User.objects.get(pk=reader.pk).has_perm("articles.view_article", draft)


def test_staff_without_the_role_may_not_revoke_a_share_link(draft):
    """Taking away is the audit's right (and the sharer's), not every staff member's."""
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    viewer = make_user("vera", perms=("view_article",))
    User.objects.filter(pk=viewer.pk).update(is_staff=True)
    with pytest.raises(PermissionDenied):
        publishing.preview_link_revoke(actor=User.objects.get(pk=viewer.pk), link=link)


def test_the_role_holds_no_share_permission():
    assert "share_article" not in ROLES[AUDITORS]
    held = Group.objects.get(name=AUDITORS).permissions.values_list("codename", flat=True)
    assert "share_article" not in held


def test_the_migration_takes_share_away_from_an_existing_auditors_group():
    group = Group.objects.get(name=AUDITORS)
    group.permissions.add(Permission.objects.get(codename="share_article"))
    group.permissions.remove(Permission.objects.get(codename="revoke_exposed"))
    modules = {config.label: config.models_module for config in apps.get_app_configs()}

    migration = import_module("articles.migrations.0021_audited_writes_and_auditors_without_share")
    migration.auditors_without_share(apps, None)

    held = set(group.permissions.values_list("codename", flat=True))
    assert "share_article" not in held
    assert {"view_exposurerun", "view_article", "revoke_exposed"} <= held
    assert {config.label: config.models_module for config in apps.get_app_configs()} == modules
