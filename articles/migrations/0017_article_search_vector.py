"""The stored full-text document of each published article's live revision, with its GIN index.

The index exists on PostgreSQL only (other databases have no GIN and search by substring); the
vectors of the articles already published are filled here, with the document publishing writes
(articles/publishing/search_index.py), restated so this migration keeps meaning what it meant.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

SEARCH_CONFIG = "english"


class AddIndexOnPostgres(migrations.AddIndex):
    """The model state everywhere; the index itself only where the database has GIN."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def fill_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Article = apps.get_model("articles", "Article")
    Revision = apps.get_model("articles", "Revision")
    document = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body_text", weight="C", config=SEARCH_CONFIG)
    )
    live = (
        Revision.objects.filter(pk=OuterRef("live_revision_id")).order_by().annotate(d=document)
    ).values("d")
    Article.objects.filter(Q(status="published") & Q(live_revision__isnull=False)).update(
        search_vector=Subquery(live)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0016_autosave'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='search_vector',
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        AddIndexOnPostgres(
            model_name='article',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='article_search_vector'),
        ),
        migrations.RunPython(fill_vectors, migrations.RunPython.noop, elidable=True),
    ]
