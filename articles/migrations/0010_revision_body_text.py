"""Revision.body_text: the plain text of body_html, which search indexes instead of the Markdown."""

from django.db import migrations, models

from articles.publishing.rendering import html_text


def fill_body_text(apps, schema_editor):
    Revision = apps.get_model("articles", "Revision")
    for revision in Revision.objects.only("pk", "body_html").iterator(chunk_size=500):
        Revision.objects.filter(pk=revision.pk).update(body_text=html_text(revision.body_html))


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_audit_details_change")]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="body_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_body_text, migrations.RunPython.noop),
    ]
