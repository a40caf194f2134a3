"""Editorial roles as groups with global permissions. Early access holds no global rights at all."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission

# The role that may change who reaches every article (articles/publishing/people/); superusers may too.
ACCESS_ADMINISTRATORS = "Access administrators"
# The role that reads the Exposure page (articles/admin/exposure.py); superusers may too.
AUDITORS = "Auditors"

ROLES: dict[str, tuple[str, ...]] = {
    # Authors create; the creator of an article then gets view/change/share on that article only.
    # view_auditevent opens the audit trail, which lists only the events of articles its reader
    # may read unpublished (admin/audit.py asks articles.access).
    "Authors": ("add_article", "view_auditevent"),
    "Editors": ("add_article", "view_article", "change_article", "view_auditevent"),
    # Publishing what you cannot read is not a workflow, so publishers may also view.
    "Publishers": ("view_article", "publish_article", "view_auditevent"),
    # Receives object grants on specific drafts: the story's "early-access customers".
    "Early access": (),
    # What it may do is in articles/publishing/people/rules.py; view_auditevent reads the trail of those changes.
    # It holds no auth.change_user, so anyone who does is an exception the system check reports.
    ACCESS_ADMINISTRATORS: ("administer_access", "view_auditevent"),
    # The page lists unpublished work; revoke_exposed lets its one-click revokes take access away
    # (access.auditing.may_take_away). No share: that would let an auditor hand any draft out.
    AUDITORS: ("view_exposurerun", "view_article", "revoke_exposed"),
}

# The global permissions that mean something in Embargo, by app: the group and user pages offer
# only these (and whatever a group or person already holds), not every model's add/change/delete.
MEANINGFUL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "articles": (
        "add_article",
        "view_article",
        "change_article",
        "publish_article",
        "share_article",
        "administer_access",
        "view_auditevent",
        "view_exposurerun",
        "revoke_exposed",
        "view_webhookendpoint",
        "add_webhookendpoint",
        "change_webhookendpoint",
        "delete_webhookendpoint",
        "view_webhookdelivery",
    ),
    "auth": ("view_user", "add_user", "change_user", "view_group", "add_group", "change_group"),
}

# What each role lets a person do, in the words the User and Group admin pages show.
ROLE_DESCRIPTIONS: dict[str, str] = {
    "Authors": "may write new articles; sees and edits only their own and those shared with them, "
    "and reads their audit trail.",
    "Editors": "may write new articles, and read and edit every article, unpublished drafts "
    "included, with its audit trail.",
    "Publishers": "may read every article, drafts included, with its audit trail, and publish, "
    "schedule or withdraw it.",
    "Early access": "nothing on its own: reads exactly the drafts granted to the group on each "
    "article's Access page.",
    ACCESS_ADMINISTRATORS: "may give or take away rights on every article (global article "
    "permissions and role groups), set people's passwords, make people staff or deactivate them, "
    "and read the audit trail of those changes; cannot create superusers or other access "
    "administrators.",
    AUDITORS: "may open the Exposure page (what the exposure audit found, share links and private "
    "files by expiry, stale grants) and read every article, drafts included; may take away any "
    "grant or share link, but may give no grant and issue no share link.",
}


def setup_roles(*, names: Iterable[str] | None = None) -> list[str]:
    """Create or repair the role groups (or only ``names``); returns the names of those created.

    A repair is a change to people, so it goes through the audited service. (Migrations keep
    their own frozen copy of the roles they created.)
    """
    from articles.access import SYSTEM
    from articles.publishing.people import group_access_change

    created = []
    for name, codenames in ROLES.items():
        if names is not None and name not in names:
            continue
        group, was_created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="articles", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(
                f"Permissions {sorted(missing)} do not exist yet; run migrate first."
            )
        group_access_change(
            actor=SYSTEM, group=group, permissions={*group.permissions.all(), *permissions}
        )
        if was_created:
            created.append(name)
    return created
