from django.contrib.auth.management import create_permissions
from django.db import migrations

# The role as it was when this migration was written, frozen here: live code may change.
ACCESS_ADMINISTRATORS = "Access administrators"
CODENAMES = ("administer_access", "view_auditevent")


def create_access_administrators(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # administer_access is new in 0006 and permissions are normally created after migrate.
    for app_config in apps.get_app_configs():
        # Put back what was there: on the global registry, None would hide the app from
        # every later migrate's post_migrate handlers and from dumpdata.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    group, _created = Group.objects.get_or_create(name=ACCESS_ADMINISTRATORS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename__in=CODENAMES)
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_audit_people_targets")]

    operations = [migrations.RunPython(create_access_administrators, migrations.RunPython.noop)]
