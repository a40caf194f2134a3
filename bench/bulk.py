"""Rows for the bench scripts' data sets, built for ``bulk_create`` rather than by the services.

Imported after ``scratch.configure``: these read Django's models and the asset storage.
"""

import hashlib
import secrets
from pathlib import Path


def new_private_path() -> tuple[str, Path]:
    """A random key in the asset storage, as uploads get: its name there and its (new) path."""
    from articles.storage import asset_storage

    key = secrets.token_hex(16)
    path = Path(asset_storage().location) / key[:2] / key
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"{key[:2]}/{key}", path


def random_assets(articles, per_article: int, *, name: str, content_type: str) -> list:
    """``per_article`` unsaved assets of 256 random bytes for each of ``articles``, their files
    already written; ``name`` takes the asset's index (``figure-{}.png``)."""
    from articles.models import Asset

    assets = []
    for article in articles:
        for k in range(per_article):
            data = secrets.token_bytes(256)
            stored_name, path = new_private_path()
            path.write_bytes(data)
            assets.append(
                Asset(
                    article=article,
                    file=stored_name,
                    original_name=name.format(k),
                    content_type=content_type,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            )
    return assets


def make_current(articles: list, revisions: list, *, batch_size: int | None = None) -> None:
    """Each article's revision (in the same order) its working draft, and live if published."""
    from articles.models import Article, Status

    for article, revision in zip(articles, revisions, strict=True):
        article.latest_revision = revision
        if article.status == Status.PUBLISHED:
            article.live_revision = revision
    Article.objects.bulk_update(
        articles, ["latest_revision", "live_revision"], batch_size=batch_size
    )
