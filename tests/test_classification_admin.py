"""Classification and two-person publish through the admin: the same rules as the services."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from articles import publishing
from articles.access import SYSTEM
from articles.models import Approval, Article, AuditEvent, Classification, PreviewLink, Status
from articles.publishing import approvals, classification
from tests.factories import staff
from tests.response_shape import assert_same_shape
from tests.test_admin import admin_url, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return staff("ada", "Publishers")


@pytest.fixture
def bob():
    return staff("bob", "Publishers")


@pytest.fixture
def alice():
    return staff("alice", "Authors")


@pytest.fixture
def draft(alice) -> Article:
    return publishing.article_create(
        actor=alice, slug="merger-plan", title="Merger plan", body="Embargoed words."
    )


def as_user(user) -> Client:
    return login(Client(), user)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_change_list_shows_the_classification_badge(restricted, ada):
    response = as_user(ada).get(admin_url("changelist"))
    assert b'<span class="classification classification-restricted">Restricted</span>' in (
        response.content
    )


def test_the_change_page_and_access_page_show_the_badge_and_what_blocks_publication(
    restricted, ada, alice
):
    page = as_user(ada).get(admin_url("change", restricted.pk))
    assert b"classification-restricted" in page.content
    assert "needs a second publisher&#x27;s approval" in page.content.decode()
    assert b"Request approval" in page.content
    access_page = as_user(alice).get(admin_url("access", restricted.pk))
    assert b"classification-restricted" in access_page.content


def test_a_publisher_raises_the_classification(draft, ada):
    response = as_user(ada).post(admin_url("classify", draft.pk), {"classification": "restricted"})
    assert response.status_code == 302
    assert Article.objects.get(pk=draft.pk).classification == Classification.RESTRICTED
    assert said(response) == ["“merger-plan” is now restricted."]


def test_someone_without_publish_cannot_classify(draft, alice):
    """The author may change her article, but not its classification; the form is not offered."""
    page = as_user(alice).get(admin_url("change", draft.pk))
    assert b"Change classification" not in page.content
    response = as_user(alice).post(
        admin_url("classify", draft.pk), {"classification": "restricted"}
    )
    assert Article.objects.get(pk=draft.pk).classification == Classification.STANDARD
    assert "Only a publisher" in said(response)[0]


def test_lowering_in_the_admin_needs_a_second_publisher(restricted, ada, bob):
    as_user(ada).post(admin_url("classify", restricted.pk), {"classification": "standard"})
    assert Article.objects.get(pk=restricted.pk).classification == Classification.RESTRICTED
    request = Approval.objects.get(article=restricted, kind=Approval.Kind.LOWERING)
    own = as_user(ada).post(admin_url("approval_give", restricted.pk, request.pk))
    assert "second publisher must give it" in said(own)[0]
    assert Article.objects.get(pk=restricted.pk).classification == Classification.RESTRICTED
    as_user(bob).post(admin_url("approval_give", restricted.pk, request.pk))
    assert Article.objects.get(pk=restricted.pk).classification == Classification.STANDARD
    lowered = restricted.audit_events.filter(action=AuditEvent.Action.CLASSIFY).first()
    assert (lowered.detail["requested_by"], lowered.detail["approved_by"]) == ("ada", "bob")


def test_publishing_in_the_admin_needs_approval_then_works(restricted, ada, bob):
    refused = as_user(ada).post(admin_url("transition", restricted.pk, "publish"))
    assert "second publisher's approval" in said(refused)[0]
    assert Article.objects.get(pk=restricted.pk).status == Status.DRAFT
    as_user(ada).post(admin_url("approval_request", restricted.pk))
    request = Approval.objects.get(article=restricted, kind=Approval.Kind.PUBLICATION)
    given = as_user(bob).post(admin_url("approval_give", restricted.pk, request.pk))
    assert said(given) == ["Approved the publication of revision 1."]
    as_user(ada).post(admin_url("transition", restricted.pk, "publish"))
    assert Article.objects.get(pk=restricted.pk).status == Status.PUBLISHED


def test_the_last_editor_cannot_approve_in_the_admin(restricted, ada):
    carl = staff("carl", "Publishers", "Editors")
    publishing.article_update(actor=carl, article=restricted, title="Carl's edit")
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    response = as_user(carl).post(admin_url("approval_give", restricted.pk, request.pk))
    assert "last editor" in said(response)[0]
    assert Approval.objects.get(pk=request.pk).approved_at is None


def test_the_buttons_only_take_posts(restricted, ada):
    response = as_user(ada).get(admin_url("approval_request", restricted.pk))
    assert response.status_code == 405
    assert not Approval.objects.exists()


def test_an_approval_of_another_article_is_the_missing_404(restricted, ada, bob):
    other = publishing.article_create(actor=SYSTEM, slug="other", title="Other")
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    client = as_user(bob)
    response = client.post(admin_url("approval_give", other.pk, request.pk))
    assert response.status_code == 404
    assert_same_shape(response, client.post(admin_url("approval_give", other.pk, 987654)))
    assert Approval.objects.get(pk=request.pk).approved_at is None


def test_the_share_page_keeps_confidential_links_to_72_hours(draft, ada, alice):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    client = as_user(alice)
    refused = client.post(admin_url("share", draft.pk), {"label": "Legal", "hours": 73})
    assert "at most 72 hours" in refused.content.decode()
    assert not PreviewLink.objects.exists()
    client.post(admin_url("share", draft.pk), {"label": "Legal", "hours": 72})
    assert PreviewLink.objects.count() == 1


def test_the_share_page_issues_no_link_to_a_restricted_article(restricted, alice):
    response = as_user(alice).post(
        admin_url("share", restricted.pk), {"label": "Legal", "hours": 1}
    )
    assert "cannot be shared by link" in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_raising_to_restricted_in_the_admin_revokes_live_links(draft, ada, alice):
    link, _token = publishing.preview_link_issue(actor=alice, article=draft, label="Legal")
    as_user(ada).post(admin_url("classify", draft.pk), {"classification": "restricted"})
    assert not PreviewLink.objects.live().filter(pk=link.pk).exists()


def test_the_approve_button_is_offered_to_a_second_publisher_only(restricted, ada, bob):
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    give = admin_url("approval_give", restricted.pk, request.pk).encode()
    assert give not in as_user(ada).get(admin_url("change", restricted.pk)).content
    assert give in as_user(bob).get(admin_url("change", restricted.pk)).content
