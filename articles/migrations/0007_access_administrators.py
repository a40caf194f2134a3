from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_access_administrators(apps, schema_editor):
    from articles.roles import ACCESS_ADMINISTRATORS, setup_roles

    # administer_access is new in 0006 and permissions are normally created after migrate.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    setup_roles(
        apps.get_model("auth", "Group"),
        apps.get_model("auth", "Permission"),
        names=(ACCESS_ADMINISTRATORS,),
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_audit_people_targets")]

    operations = [migrations.RunPython(create_access_administrators, migrations.RunPython.noop)]
