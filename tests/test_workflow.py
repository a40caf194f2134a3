"""State transitions by role: who may submit, schedule, publish, withdraw and return to draft."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, AuditEvent, Status
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

ROLES = [
    "author",
    "other_author",
    "editor",
    "publisher",
    "early_access",
    "no_role",
    "superuser",
    "shell",
]
# Who may take each action (the creator is "author"; "shell" is actor=SYSTEM).
MAY = {
    "submit": {"author", "editor", "superuser", "shell"},
    "schedule": {"publisher", "superuser", "shell"},
    "publish": {"publisher", "superuser", "shell"},
    "withdraw": {"publisher", "superuser", "shell"},
    "return_to_draft": {"author", "editor", "superuser", "shell"},
}
# The state each action is tried from, and the state it should end in.
FROM_TO = {
    "submit": (Status.DRAFT, Status.IN_REVIEW),
    "schedule": (Status.IN_REVIEW, Status.SCHEDULED),
    "publish": (Status.IN_REVIEW, Status.PUBLISHED),
    "withdraw": (Status.PUBLISHED, Status.WITHDRAWN),
    "return_to_draft": (Status.WITHDRAWN, Status.DRAFT),
}


def run(action: str, actor, article: Article) -> Article:
    if action == "schedule":
        return publishing.article_schedule(
            actor=actor, article=article, publish_at=timezone.now() + timedelta(hours=2)
        )
    return getattr(publishing, f"article_{action}")(actor=actor, article=article)


@pytest.fixture
def author():
    return make_user("ada", groups=("Authors",))


@pytest.fixture
def people(author):
    return {
        "author": author,
        "other_author": make_user("otto", groups=("Authors",)),
        "editor": make_user("edie", groups=("Editors",)),
        "publisher": make_user("pablo", groups=("Publishers",)),
        "early_access": make_user("early", groups=("Early access",)),
        "no_role": make_user("nobody"),
        "superuser": User.objects.create_superuser("root"),
        "shell": SYSTEM,
    }


def article_in(status: str, author, people) -> Article:
    article = make_article("story", actor=author)
    # The early-access reader has been let in to read this draft, and nothing more.
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=people["early_access"])
    if status == Status.IN_REVIEW:
        publishing.article_submit(actor=SYSTEM, article=article)
    elif status == Status.PUBLISHED:
        publishing.article_publish(actor=SYSTEM, article=article)
    elif status == Status.WITHDRAWN:
        publishing.article_publish(actor=SYSTEM, article=article)
        publishing.article_withdraw(actor=SYSTEM, article=article)
    return article


def fresh(user):
    """The user reloaded, so no permission cache from an earlier check answers."""
    return user if user is SYSTEM else User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(MAY))
def test_transition_by_role(action, role, author, people, django_capture_on_commit_callbacks):
    """Each role may take exactly the transitions its permissions allow; refusals change nothing."""
    source, target = FROM_TO[action]
    article = article_in(source, author, people)
    version = Article.objects.get(pk=article.pk).version
    actor = fresh(people[role])
    if role in MAY[action]:
        with django_capture_on_commit_callbacks(execute=True):
            run(action, actor, article)
        assert Article.objects.get(pk=article.pk).status == target
        event = AuditEvent.objects.filter(article=article).first()
        assert event.action == action
        assert event.actor_name == ("system" if actor is SYSTEM else actor.username)
    else:
        with pytest.raises(PermissionDenied, match="You do not have permission to"):
            run(action, actor, article)
        unchanged = Article.objects.get(pk=article.pk)
        assert (unchanged.status, unchanged.version) == (source, version)


@pytest.mark.parametrize("role", ROLES)
def test_allowed_actions_match_the_services(role, author, people):
    """The admin offers exactly the actions the services would accept from that person."""
    article = article_in(Status.IN_REVIEW, author, people)
    from_review = ["schedule", "publish", "return_to_draft"]
    expected = [action for action in from_review if role in MAY[action]]
    assert publishing.allowed_actions(actor=fresh(people[role]), article=article) == expected


def test_anonymous_user_may_take_no_transition(author, people):
    """Django's AnonymousUser is not the shell: it holds nothing."""
    from django.contrib.auth.models import AnonymousUser

    article = article_in(Status.IN_REVIEW, author, people)
    assert publishing.allowed_actions(actor=AnonymousUser(), article=article) == []
    with pytest.raises(PermissionDenied):
        publishing.article_publish(actor=AnonymousUser(), article=article)


def test_invalid_transition_is_refused_and_changes_nothing(
    author, people, django_capture_on_commit_callbacks
):
    """Withdrawing a draft says why it cannot be done; status, version and trail are untouched."""
    article = article_in(Status.DRAFT, author, people)
    before = Article.objects.get(pk=article.pk)
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        publishing.article_withdraw(actor=SYSTEM, article=article)
    assert error.value.messages == ["“story” is draft; it cannot be withdrawn from that state."]
    after = Article.objects.get(pk=article.pk)
    assert (after.status, after.version, after.updated_at) == (
        before.status,
        before.version,
        before.updated_at,
    )
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.DRAFT, "return_to_draft"),
        (Status.PUBLISHED, "submit"),
        (Status.PUBLISHED, "schedule"),
        (Status.WITHDRAWN, "publish"),
        (Status.SCHEDULED, "submit"),
    ],
)
def test_transitions_outside_the_table_are_refused(status, action):
    article = make_article("story", status=status)
    with pytest.raises(ValidationError, match="cannot be"):
        run(action, SYSTEM, article)
    assert Article.objects.get(pk=article.pk).status == status


def test_full_path_draft_review_publish_withdraw_draft(django_capture_on_commit_callbacks):
    """The whole lifecycle, each step recorded once in the trail, in order."""
    article = make_article("story")
    with django_capture_on_commit_callbacks(execute=True):
        for action in ("submit", "publish", "withdraw", "return_to_draft"):
            run(action, SYSTEM, article)
    assert Article.objects.get(pk=article.pk).status == Status.DRAFT
    trail = list(
        AuditEvent.objects.filter(article=article)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert trail == ["create", "submit", "publish", "withdraw", "return_to_draft"]


def test_republishing_a_published_article_makes_its_working_draft_live():
    article = make_article("story", status=Status.PUBLISHED)
    publishing.article_update(actor=SYSTEM, article=article, title="Second take", body="New.")
    publishing.article_publish(actor=SYSTEM, article=article)
    article.refresh_from_db()
    assert article.live_revision == article.latest_revision
    assert article.live_revision.title == "Second take"


def test_publishing_purges_the_cached_home_page(client, django_capture_on_commit_callbacks):
    """A home page cached before publishing lists the new article right after it."""
    article = make_article("fresh-story")
    assert b"Fresh story" not in client.get("/").content
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_publish(actor=SYSTEM, article=article)
    assert b"Fresh story" in client.get("/").content


def test_withdrawing_purges_the_cached_home_page(client, django_capture_on_commit_callbacks):
    """A home page cached while the article was public stops listing it at once."""
    article = make_article("fresh-story", status=Status.PUBLISHED)
    assert b"Fresh story" in client.get("/").content
    with django_capture_on_commit_callbacks(execute=True):
        publishing.article_withdraw(actor=SYSTEM, article=article)
    assert b"Fresh story" not in client.get("/").content
