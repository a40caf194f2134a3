"""Build one data set for `make bench` in a scratch database, and print what the runner needs as JSON.

    .venv/bin/python bench/datasets.py --workdir DIR --size demo|10k [--database-url URL]

`demo` is what `make run` serves (the Mythos story and its draft follow-up); `10k` is 10,000
articles (four in five published) with 50,000 assets and 1,000,000 per-object grant rows. Rows are
bulk-inserted rather than created through the services, so that building takes seconds; the
fixtures every size shares (the reader, the editor, the 1 MiB and 100 MiB assets, the hidden draft)
go through the services like real content. The last line printed is the JSON manifest: the URLs to
drive, the session cookies of the reader and the editor, and the environment the server needs.
"""

import argparse
import hashlib
import json
import secrets
import sys
import time
from pathlib import Path

from bulk import make_current, new_private_path, random_assets
from scratch import configure

ONE_MIB = 1024 * 1024
LARGE_DOWNLOAD_MIB = 100
TAGS = 50
GRANT_USERS = 100  # x 10,000 articles = 1,000,000 grant rows
PARAGRAPH = (
    "The laboratory said the model had been tested for months before anyone outside saw it, "
    "and that the draft material was never meant to be public until the day of release. "
)


def build_bulk(articles: int, assets_per_article: int, grant_users: int) -> dict:
    """Articles, revisions, tags, assets and grant rows, bulk-inserted in one transaction."""
    from django.db import transaction

    from articles.models import Asset, Revision, Tag

    with transaction.atomic():
        tags = Tag.objects.bulk_create(
            Tag(name=f"Topic {n}", slug=f"topic-{n}") for n in range(TAGS)
        )
        created = _bulk_articles(articles)
        revisions = _bulk_revisions(created, tags)
        assets = Asset.objects.bulk_create(
            random_assets(
                created,
                assets_per_article,
                name="figure-{}.bin",
                content_type="application/octet-stream",
            ),
            batch_size=5000,
        )
        links = Revision.assets.through
        revision_of = {revision.article_id: revision.pk for revision in revisions}
        links.objects.bulk_create(
            (
                links(revision_id=revision_of[asset.article_id], asset_id=asset.pk)
                for asset in assets
            ),
            batch_size=5000,
        )
        make_current(created, revisions, batch_size=2000)
        readers = _bulk_grants(grant_users)
    return {
        "articles": len(created),
        "assets": len(assets),
        "grant_rows": readers * len(created),
        "tag": tags[0].slug,
    }


def _bulk_articles(articles: int) -> list:
    """Four in five published, newest first; the rest spread over the hidden states."""
    from django.utils import timezone

    from articles.models import Article, Status

    hidden = [Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.WITHDRAWN]
    now = timezone.now()
    return Article.objects.bulk_create(
        Article(
            slug=f"article-{n:05d}",
            status=Status.PUBLISHED if n % 5 else hidden[n % len(hidden)],
            published_at=now - timezone.timedelta(minutes=n) if n % 5 else None,
        )
        for n in range(articles)
    )


def _bulk_revisions(created: list, tags: list) -> list:
    """One revision for each article, with three tags."""
    from articles.models import Revision

    revisions = Revision.objects.bulk_create(
        Revision(
            article=article,
            number=1,
            title=f"Headline {article.pk}: what the lab shipped and what it held back",
            summary=f"Summary {article.pk}: what happened and why it matters to readers.",
            body=PARAGRAPH * 12,
            body_html=f"<p>{PARAGRAPH * 4}</p>" * 3,
            body_text=PARAGRAPH * 12,
        )
        for article in created
    )
    through = Revision.tags.through
    through.objects.bulk_create(
        through(revision_id=revision.pk, tag_id=tags[(n + k) % TAGS].pk)
        for n, revision in enumerate(revisions)
        for k in range(3)
    )
    return revisions


def _bulk_grants(grant_users: int) -> int:
    """``grant_users`` people holding ``view`` on every bulk article; how many there are."""
    from django.contrib.auth.models import Permission, User
    from django.db import connection

    readers = User.objects.bulk_create(
        User(username=f"grantee-{n:03d}") for n in range(grant_users)
    )
    view = Permission.objects.get(codename="view_article", content_type__app_label="articles")
    # One INSERT … SELECT: a million model instances would take most of the build's time.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO articles_articleuserobjectpermission "
            "(user_id, permission_id, content_object_id) "
            "SELECT person.id, %s, article.id FROM auth_user person, articles_article article "
            "WHERE person.username LIKE 'grantee-%%' AND article.slug LIKE 'article-%%'",
            [view.pk],
        )
    return len(readers)


def build_fixtures(workdir: Path) -> dict:
    """What every size shares: a reader, an editor, public and private assets, a hidden draft."""
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from articles import access, publishing
    from articles.models import Asset

    reader = User.objects.create_user("bench-reader", password=secrets.token_urlsafe(16))
    editor = User.objects.create_superuser("bench-editor", password=secrets.token_urlsafe(16))
    one_mib = SimpleUploadedFile("public-1mib.png", noise_png(), content_type="image/png")
    public = publishing.article_create(
        actor=access.SYSTEM,
        slug="bench-public-asset",
        title="A public article with a 1 MiB download",
        body=PARAGRAPH * 12,
        files=[("public-1mib.png", one_mib)],
    )
    publishing.article_publish(actor=access.SYSTEM, article=public)
    private_mib = SimpleUploadedFile("private-1mib.png", noise_png(), content_type="image/png")
    draft = publishing.article_create(
        actor=access.SYSTEM,
        slug="bench-private-assets",
        title="A draft shared with the reader",
        body=PARAGRAPH,
        files=[("private-1mib.png", private_mib)],
    )
    publishing.access_grant(actor=access.SYSTEM, article=draft, perm="view", user=reader)
    large = _large_private_asset(draft, workdir)
    publishing.article_create(
        actor=access.SYSTEM, slug="bench-hidden-draft", title="Nobody outside may know", body="x"
    )
    public_asset = Asset.objects.get(article=public)
    private_asset = Asset.objects.get(article=draft, original_name="private-1mib.png")
    return {
        "public_slug": public.slug,
        "public_asset": f"/assets/{public_asset.token}/{public_asset.original_name}",
        "public_asset_bytes": public_asset.size,
        "private_asset": f"/assets/{private_asset.token}/{private_asset.original_name}",
        "large_private_asset": f"/assets/{large.token}/{large.original_name}",
        "hidden_slug": "bench-hidden-draft",
        "cookies": {"reader": _session_cookie(reader), "editor": _session_cookie(editor)},
    }


def noise_png() -> bytes:
    """A PNG of random pixels, about 1 MiB (noise does not compress): only images and PDFs attach."""
    import io

    from PIL import Image

    side = 592  # 592 x 592 x 3 bytes = 1.003 MiB of pixels
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), secrets.token_bytes(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def _large_private_asset(article, workdir: Path):
    """A 100 MiB private file, written in place: the upload limit (rightly) refuses it as a form."""
    from articles.models import Asset

    stored_name, path = new_private_path()
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(LARGE_DOWNLOAD_MIB):
            chunk = secrets.token_bytes(ONE_MIB)
            digest.update(chunk)
            out.write(chunk)
    asset = Asset.objects.create(
        article=article,
        file=stored_name,
        original_name="large-100mib.bin",
        content_type="application/octet-stream",
        size=LARGE_DOWNLOAD_MIB * ONE_MIB,
        sha256=digest.hexdigest(),
    )
    article.latest_revision.assets.add(asset)
    return asset


def _session_cookie(user) -> str:
    """A signed-in session for ``user``, stored where the server will look for it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that signs people in (axes only guards the door and keeps no users).
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def article_page_bytes(slug: str) -> int:
    """The size of the article page as a reader gets it: the static baseline is made this big."""
    from django.test import Client

    response = Client(HTTP_HOST="127.0.0.1").get(f"/articles/{slug}/")
    if response.status_code != 200:
        sys.exit(f"the article page /articles/{slug}/ answered {response.status_code}")
    return len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--size", choices=["demo", "10k"], required=True)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    started = time.perf_counter()
    configure(args.workdir, database_url=args.database_url)
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    counts = build_bulk(10_000, 5, GRANT_USERS) if args.size == "10k" else {"tag": None}
    manifest = build_fixtures(args.workdir)
    from articles.models import Article

    manifest.update(
        size=args.size,
        articles=Article.objects.count(),
        tag=counts["tag"] or _first_public_tag(),
        article_bytes=article_page_bytes(manifest["public_slug"]),
        seconds=round(time.perf_counter() - started, 1),
        counts={k: v for k, v in counts.items() if k != "tag"},
    )
    print(json.dumps(manifest))
    return 0


def _first_public_tag() -> str:
    """A tag of the demo's published story (the demo is the only content of that size)."""
    from articles.models import Article

    story = Article.objects.published().exclude(slug__startswith="bench-").first()
    return story.live_revision.tags.values_list("slug", flat=True).first()


if __name__ == "__main__":
    sys.exit(main())
