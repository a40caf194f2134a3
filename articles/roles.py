"""Editorial roles as groups with global permissions. Early access holds no global rights at all."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission

# The role that may change who reaches every article (articles/publishing/people.py); superusers may too.
ACCESS_ADMINISTRATORS = "Access administrators"
# The role that reads the Exposure page (articles/admin/exposure.py); superusers may too.
AUDITORS = "Auditors"

ROLES: dict[str, tuple[str, ...]] = {
    # Authors create; the creator of an article then gets view/change/share on that article only.
    "Authors": ("add_article",),
    "Editors": ("view_article", "change_article"),
    # Publishing what you cannot read is not a workflow, so publishers may also view.
    "Publishers": ("view_article", "publish_article"),
    # Receives object grants on specific drafts: the story's "early-access customers".
    "Early access": (),
    # What it may do is in articles/publishing/people.py; view_auditevent reads the trail of those changes.
    # It holds no auth.change_user, so anyone who does is an exception the system check reports.
    ACCESS_ADMINISTRATORS: ("administer_access", "view_auditevent"),
    # The page lists unpublished work and its one-click revokes go through the sharing services,
    # which ask for view and share on the article like everyone else's revokes.
    AUDITORS: ("view_exposurerun", "view_article", "share_article"),
}

# What each role lets a person do, in the words the User and Group admin pages show.
ROLE_DESCRIPTIONS: dict[str, str] = {
    "Authors": "may write new articles; sees and edits only their own and those shared with them.",
    "Editors": "may read and edit every article, unpublished drafts included.",
    "Publishers": "may read every article, drafts included, and publish, schedule or withdraw it.",
    "Early access": "nothing on its own: reads exactly the drafts granted to the group on each "
    "article's Access page.",
    ACCESS_ADMINISTRATORS: "may give or take away rights on every article (global article "
    "permissions and role groups), set people's passwords, make people staff or deactivate them, "
    "and read the audit trail of those changes; cannot create superusers or other access "
    "administrators.",
    AUDITORS: "may open the Exposure page (what the exposure audit found, share links and private "
    "files by expiry, stale grants) and read every article, drafts included; may take away any "
    "grant or share link, and so may also give grants and issue share links on every article.",
}


def setup_roles(
    group_model=Group, permission_model=Permission, *, names: Iterable[str] | None = None
) -> list[str]:
    """Create or repair the role groups (or only ``names``); returns the names of those created."""
    created = []
    for name, codenames in ROLES.items():
        if names is not None and name not in names:
            continue
        group, was_created = group_model.objects.get_or_create(name=name)
        permissions = permission_model.objects.filter(
            content_type__app_label="articles", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(
                f"Permissions {sorted(missing)} do not exist yet; run migrate first."
            )
        if group_model is Group:
            # The live models (the command, the demo): a repair is a change to people, audited.
            from articles.access import SYSTEM
            from articles.publishing.people import group_access_change

            group_access_change(
                actor=SYSTEM, group=group, permissions={*group.permissions.all(), *permissions}
            )
        else:
            # A migration's historical models, which the services cannot take.
            group.permissions.add(*permissions)
        if was_created:
            created.append(name)
    return created
