"""Share links name the revision they share and who or what issued them; tags become spellings."""

import django.db.models.deletion

import articles.models
from django.db import migrations, models


def share_what_existing_links_show(apps, schema_editor):
    """Existing links keep showing what they showed the day before: the working draft."""
    PreviewLink = apps.get_model("articles", "PreviewLink")
    for link in PreviewLink.objects.select_related("article"):
        link.revision_id = link.article.latest_revision_id
        # Before this migration only the shell issued links without a creator.
        link.issued_by_shell = link.created_by_id is None
        link.save(update_fields=["revision", "issued_by_shell"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_asset_removed_metadata")]

    operations = [
        migrations.AddField(
            model_name="previewlink",
            name="revision",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="preview_links",
                to="articles.revision",
            ),
        ),
        migrations.AddField(
            model_name="previewlink",
            name="revoked_reason",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="previewlink",
            name="issued_by_shell",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(share_what_existing_links_show, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="previewlink",
            name="revision",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="preview_links",
                to="articles.revision",
            ),
        ),
        migrations.AlterField(
            model_name="tag",
            name="slug",
            field=models.CharField(
                db_index=True,
                max_length=60,
                validators=[articles.models.validate_slug],
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("edit", "Edited"),
                    ("revert", "Reverted"),
                    ("submit", "Submitted for review"),
                    ("schedule", "Scheduled"),
                    ("publish", "Published"),
                    ("withdraw", "Withdrawn"),
                    ("return_to_draft", "Returned to draft"),
                    ("asset_attach", "Attached an asset"),
                    ("grant", "Granted access"),
                    ("revoke", "Revoked access"),
                    ("preview_issue", "Issued a preview link"),
                    ("preview_revoke", "Revoked a preview link"),
                    ("preview_use", "Opened a preview link"),
                    ("preview_update", "Moved a preview link to the current draft"),
                    ("slug_refused", "Tried a slug that is not available"),
                    ("view", "Viewed a non-public article"),
                    ("asset_view", "Downloaded a non-public asset"),
                ],
                max_length=32,
            ),
        ),
    ]
