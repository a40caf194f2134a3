"""The demo newsroom: the published Mythos story, and an embargoed follow-up only early access can read."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article
from articles.publishing import people
from articles.roles import setup_roles

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_PASSWORD = "embargo-demo"  # noqa: S105  (set only in development; see load_demo)


@dataclass
class DemoResult:
    created: list[str]


def _story(name: str) -> frontmatter.Post:
    return frontmatter.load(DEMO_DIR / name)


def _tags(story: frontmatter.Post) -> list[str]:
    tags = story.get("tags", [])
    if not isinstance(tags, list):
        raise TypeError(f"The demo story “{story['slug']}” lists its tags as a YAML list.")
    return [str(tag) for tag in tags]


def _user(
    username: str, *, groups: list[str], staff: bool, name: tuple[str, str], created: list[str]
):
    user, was_created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": name[0], "last_name": name[1]}
    )
    if was_created:
        if settings.ENVIRONMENT == "development":
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        created.append(f"user {username}")
    # Status and roles through the audited service, as any other door would give them.
    people.user_access_change(
        actor=SYSTEM,
        user=user,
        is_staff=staff if was_created else None,
        groups={*user.groups.all(), *Group.objects.filter(name__in=groups)},
    )
    return user


def timeline_png() -> ContentFile:
    """A small generated chart standing in for an embargoed graphic."""
    image = Image.new("RGB", (640, 240), "#f4f1ea")
    draw = ImageDraw.Draw(image)
    draw.line((40, 160, 600, 160), fill="#1d3557", width=4)
    for x, label in (
        (80, "26-27 Mar: cache found"),
        (300, "Fortune informs"),
        (500, "Access restricted"),
    ):
        draw.ellipse((x - 8, 152, x + 8, 168), fill="#e63946")
        draw.text((x - 40, 180), label, fill="#1d3557")
    draw.text((40, 40), "Exposure timeline (as reported)", fill="#1d3557")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue())


def briefing_pdf() -> ContentFile:
    """A one-page generated PDF standing in for an embargoed briefing document."""
    image = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(image).text((60, 80), "EMBARGOED BRIEFING - demo document", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF")
    return ContentFile(buffer.getvalue())


def _share_with_desk(article: Article, editor) -> None:
    """The demo editor stands in for the story's desk: it shares previews and manages access."""
    publishing.access_grant(actor=SYSTEM, article=article, perm="share", user=editor)


def _create_story(
    name: str,
    *,
    author,
    make_files: Callable[[], list[tuple[str, ContentFile]]] = list,
    featured_image_name: str | None = None,
) -> Article | None:
    """The demo story in ``name`` as a private draft by ``author``; None if it already exists.

    ``make_files``: its files, generated only when the story is created.
    """
    story = _story(name)
    if Article.objects.filter(slug=story["slug"]).exists():
        return None
    return publishing.article_create(
        actor=SYSTEM,
        author=author,
        slug=str(story["slug"]),
        title=str(story["title"]),
        summary=str(story["summary"]),
        body=story.content,
        tags=_tags(story),
        files=make_files(),
        featured_image_name=featured_image_name,
    )


def _publish_story(editor, created: list[str]) -> None:
    article = _create_story("the-mythos-leak.md", author=editor)
    if article is not None:
        _share_with_desk(article, editor)
        publishing.article_publish(actor=SYSTEM, article=article)
        created.append(f"published article {article.slug}")


def _embargo_follow_up(editor, reader, created: list[str]) -> None:
    """The follow-up stays a draft that only early access (the group and the reader) may read."""
    article = _create_story(
        "mythos-follow-up.md",
        author=editor,
        make_files=lambda: [
            ("exposure-timeline.png", timeline_png()),
            ("audit-briefing.pdf", briefing_pdf()),
        ],
        featured_image_name="exposure-timeline.png",
    )
    if article is not None:
        early_access = Group.objects.get(name="Early access")
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=early_access)
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=reader)
        _share_with_desk(article, editor)
        created.append(f"embargoed draft {article.slug}")


def load_demo() -> DemoResult:
    """Create the demo content once; running it again changes nothing."""
    created: list[str] = []
    with transaction.atomic():
        created += [f"group {name}" for name in setup_roles()]
        editor = _user(
            "editor",
            groups=["Editors", "Publishers"],
            staff=True,
            name=("Newsroom", "Editor"),
            created=created,
        )
        reader = _user(
            "early-reader",
            groups=["Early access"],
            staff=False,
            name=("Early", "Reader"),
            created=created,
        )
        _publish_story(editor, created)
        _embargo_follow_up(editor, reader, created)
    return DemoResult(created=created)
