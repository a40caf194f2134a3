from django.contrib.auth.management import create_permissions
from django.db import migrations


# The roles as they were when this migration was written, frozen here: live code may change.
ROLES = {
    "Authors": ("add_article",),
    "Editors": ("view_article", "change_article"),
    "Publishers": ("view_article", "publish_article"),
    "Early access": (),
}


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Custom permissions are normally created after migrate; the roles need them now.
    for app_config in apps.get_app_configs():
        # Put back what was there: on the global registry, None would hide the app from
        # every later migrate's post_migrate handlers and from dumpdata.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
