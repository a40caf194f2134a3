"""Leak matrix for the discovery doors: listings, feeds, sitemap, robots.txt, search and tags.

Three people (anonymous, signed in without a grant, a collaborator whose grant was revoked) against
unpublished work in every state: draft, in review, scheduled, withdrawn, and the unpublished edit of a
published article (with a new tag and a new image). Its title, summary, body words, tag names and
asset tokens must appear in no response, and a probe for any of them must get the answer of a probe
for something that never existed. ``COVERED_ROUTES`` feeds the resolver walk in ``test_leaks.py``.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Asset, Revision, Status
from tests.factories import png_upload
from tests.response_shape import ForgedSessionClient, assert_same_shape

COVERED_ROUTES: set[str] = {
    "home",
    "feeds",
    "feed-rss",
    "feed-atom",
    "sitemap",
    "sitemap-section",
    "robots",
    "search",
    "tag",
    "tag-index",
}

PEOPLE = ["anonymous", "forged_session", "no_grant", "revoked"]
HIDDEN = {
    "draft": "kestrel",
    "in_review": "merlin",
    "scheduled": "osprey",
    "withdrawn": "heron",
    "unpublished_edit": "plover",
}
SHARED_WORD = "dispatchword"
SHARED_TAG = "Dispatch"
PUBLIC_TITLE = "Harbour reopens"
NOWHERE = "qqnowhereqq"
FILLERS = 20  # with the public articles below, the home page has a second page


def secrets_of(name: str) -> dict[str, str]:
    """The unique words one piece of unpublished work is made of."""
    return {
        "title": f"{name}title",
        "summary": f"{name}summary",
        "body": f"{name}bodyword",
        "tag": f"{name}tag",
    }


def hidden_fields(name: str) -> dict:
    words = secrets_of(name)
    return {
        "title": f"The {words['title']} affair",
        "summary": f"About {words['summary']}.",
        "body": f"{SHARED_WORD} {words['body']}",
        "tags": [SHARED_TAG, words["tag"]],
        "files": [(f"{name}.png", png_upload(f"{name}.png", "blue"))],
    }


def build_hidden(state: str, name: str) -> Article:
    if state == "unpublished_edit":
        article = publishing.article_create(
            actor=SYSTEM,
            slug=name,
            title="Plover live",
            body=SHARED_WORD,
            tags=[SHARED_TAG],
            files=[("plover-live.png", png_upload("plover-live.png", "green"))],
        )
        publishing.article_publish(actor=SYSTEM, article=article)
        publishing.article_update(actor=SYSTEM, article=article, **hidden_fields(name))
        return article
    article = publishing.article_create(actor=SYSTEM, slug=name, **hidden_fields(name))
    if state == "in_review":
        publishing.article_submit(actor=SYSTEM, article=article)
    elif state == "scheduled":
        publishing.article_schedule(
            actor=SYSTEM, article=article, publish_at=timezone.now() + timedelta(days=1)
        )
    elif state == "withdrawn":
        publishing.article_publish(actor=SYSTEM, article=article)
        publishing.article_withdraw(actor=SYSTEM, article=article)
    return article


@pytest.fixture
def world(db) -> dict:
    """Public articles on two home pages, and one piece of unpublished work per state."""
    now = timezone.now()
    for number in range(FILLERS):
        filler = Article.objects.create(
            slug=f"filler-{number}",
            status=Status.PUBLISHED,
            published_at=now - timedelta(days=number + 1),
        )
        revision = Revision.objects.create(
            article=filler,
            number=1,
            title=f"Filler {number}",
            body="Filler.",
            body_html="<p>Filler.</p>",
            body_text="Filler.",
        )
        Article.objects.filter(pk=filler.pk).update(
            live_revision=revision, latest_revision=revision
        )
    public = publishing.article_create(
        actor=SYSTEM,
        slug="harbour",
        title=PUBLIC_TITLE,
        summary="The harbour is open again.",
        body=SHARED_WORD,
        tags=[SHARED_TAG],
        files=[("harbour.png", png_upload("harbour.png", "red"))],
    )
    publishing.article_publish(actor=SYSTEM, article=public)
    hidden = {state: build_hidden(state, name) for state, name in HIDDEN.items()}
    public_assets = set(Asset.objects.public().values_list("token", flat=True))
    hidden_tokens = set(Asset.objects.values_list("token", flat=True)) - public_assets
    assert len(hidden_tokens) == len(HIDDEN)
    return {"hidden": hidden, "hidden_tokens": hidden_tokens}


@pytest.fixture(params=PEOPLE)
def reader(request, world, client):
    """A client for one kind of person who must see only public work."""
    if request.param == "forged_session":
        return ForgedSessionClient()
    if request.param == "no_grant":
        client.force_login(User.objects.create_user("outsider"))
    elif request.param == "revoked":
        former = User.objects.create_user("former")
        for article in world["hidden"].values():
            publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=former)
            publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=former)
        client.force_login(former)
    return client


def all_secrets(world) -> list[str]:
    words = [word for name in HIDDEN.values() for word in secrets_of(name).values()]
    return [*words, *world["hidden_tokens"]]


# (url, text a correct response does contain: proof the page lists what it should)
LISTINGS = [
    ("/", PUBLIC_TITLE),
    ("/?page=2", "Filler"),
    ("/feeds/rss/", PUBLIC_TITLE),
    ("/feeds/atom/", PUBLIC_TITLE),
    ("/feeds/", "feed reader"),
    ("/sitemap.xml", "/sitemap-articles.xml"),
    ("/sitemap-articles.xml", "/articles/harbour/"),
    ("/robots.txt", "Sitemap:"),
    ("/tags/", SHARED_TAG),
    ("/tags/dispatch/", PUBLIC_TITLE),
    (f"/search/?q={SHARED_WORD}", PUBLIC_TITLE),
]


@pytest.mark.parametrize(("url", "expected"), LISTINGS)
def test_listing_shows_no_unpublished_content(reader, world, url, expected):
    response = reader.get(url)
    text = response.content.decode().lower()
    assert response.status_code == 200
    assert expected.lower() in text
    leaked = [secret for secret in all_secrets(world) if secret.lower() in text]
    assert leaked == []


def test_public_tag_count_excludes_unpublished_work(reader, world):
    """Six articles carry the shared tag somewhere; two carry it on a public live revision."""
    assert f'{SHARED_TAG} <span class="count">(2)</span>' in reader.get("/tags/").content.decode()


@pytest.mark.parametrize("state", HIDDEN)
@pytest.mark.parametrize("field", ["title", "summary", "body", "tag"])
def test_search_probe_gets_the_answer_for_a_word_found_nowhere(reader, world, state, field):
    word = secrets_of(HIDDEN[state])[field]
    probe = reader.get("/search/", {"q": word})
    control = reader.get("/search/", {"q": NOWHERE})
    assert probe.status_code == 200
    # The page echoes the word asked for, so each side masks its own (and its length with it).
    assert_same_shape(probe, control, asked=[(word, NOWHERE)])


@pytest.mark.parametrize("state", HIDDEN)
def test_unpublished_tag_page_is_the_404_of_a_tag_that_never_existed(reader, world, state):
    slug = secrets_of(HIDDEN[state])["tag"]
    probe = reader.get(f"/tags/{slug}/")
    control = reader.get("/tags/never-existed/")
    assert probe.status_code == control.status_code == 404
    assert_same_shape(probe, control)


@pytest.mark.parametrize(
    "url",
    [
        "/?page=3",
        "/tags/dispatch/?page=2",
        "/search/?q=dispatchword&page=99999999999999999999",
        "/sitemap-articles.xml?p=2",
        "/sitemap-articles.xml?p=x",
        "/sitemap-drafts.xml",  # a section that does not exist
    ],
)
def test_page_past_the_end_is_the_404(reader, world, url):
    probe = reader.get(url)
    control = reader.get("/tags/never-existed/")
    assert probe.status_code == control.status_code == 404
    assert_same_shape(probe, control)
