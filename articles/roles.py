"""Editorial roles as groups with global permissions. Early access holds no global rights at all."""

from django.contrib.auth.models import Group, Permission

ROLES: dict[str, tuple[str, ...]] = {
    # Authors create; the creator of an article then gets view/change/share on that article only.
    "Authors": ("add_article",),
    "Editors": ("view_article", "change_article"),
    # Publishing what you cannot read is not a workflow, so publishers may also view.
    "Publishers": ("view_article", "publish_article"),
    # Receives object grants on specific drafts: the story's "early-access customers".
    "Early access": (),
}


def setup_roles(group_model=Group, permission_model=Permission) -> list[str]:
    """Create or repair the role groups; returns the names of groups that were created."""
    created = []
    for name, codenames in ROLES.items():
        group, was_created = group_model.objects.get_or_create(name=name)
        permissions = permission_model.objects.filter(
            content_type__app_label="articles", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(
                f"Permissions {sorted(missing)} do not exist yet; run migrate first."
            )
        group.permissions.add(*permissions)
        if was_created:
            created.append(name)
    return created
