import django.db.models.deletion
from django.db import migrations, models


def pin_scheduled_articles(apps, schema_editor):
    # What the worker would have published before the pin existed: the latest revision.
    Article = apps.get_model("articles", "Article")
    Article.objects.filter(status="scheduled").update(scheduled_revision=models.F("latest_revision"))


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_access_administrators")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="scheduled_revision",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="articles.revision",
            ),
        ),
        migrations.RunPython(pin_scheduled_articles, migrations.RunPython.noop),
    ]
