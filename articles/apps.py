from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self) -> None:
        from articles import checks  # noqa: F401  (registers the system checks)
        from articles.publishing.people import deletion
        from articles.web import security_log  # noqa: F401  (registers the log receivers)

        deletion.connect()

        post_migrate.connect(_write_storage_sentinel, sender=self)


def _write_storage_sentinel(**kwargs) -> None:
    """Every deployment runs migrate first: that is when /healthz's storage sentinel is written."""
    from articles.web.health import ensure_storage_sentinel

    ensure_storage_sentinel()
