"""Classification and two-person publish, through the services called directly.

The same rules through the commands are in test_classification_commands.py, through the admin in
test_classification_admin.py.
"""

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from articles import publishing
from articles.access import SYSTEM
from articles.exposure import handling
from articles.models import Approval, Article, AuditEvent, Classification, PreviewLink, Status
from articles.publishing import approvals, classification
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def carl():
    return make_user("carl", groups=("Publishers", "Editors"))


@pytest.fixture
def alice():
    """The author: writes the draft, cannot publish."""
    return make_user("alice", groups=("Authors",))


@pytest.fixture
def draft(alice) -> Article:
    return publishing.article_create(
        actor=alice, slug="merger-plan", title="Merger plan", body="Embargoed words."
    )


def events(article: Article, action: str) -> list[AuditEvent]:
    return list(article.audit_events.filter(action=action).order_by("at", "pk"))


def approved(article: Article, *, asker, approver) -> Approval:
    request = approvals.approval_request_publication(actor=asker, article=article)
    return approvals.approval_give(actor=approver, approval=request)


# --- the classification itself --------------------------------------------------------------------


def test_a_new_article_is_standard(draft):
    assert draft.classification == Classification.STANDARD


def test_a_publisher_raises_the_classification_and_it_is_audited(draft, ada):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    assert Article.objects.get(pk=draft.pk).classification == Classification.CONFIDENTIAL
    (event,) = events(draft, AuditEvent.Action.CLASSIFY)
    assert event.actor == ada
    assert event.detail["from"] == "standard"
    assert event.detail["to"] == "confidential"


def test_someone_without_publish_cannot_classify(draft, alice):
    """The author holds view, change and share on her article, but not publish."""
    with pytest.raises(PermissionDenied, match="Only a publisher"):
        classification.article_classify(actor=alice, article=draft, classification="restricted")
    assert Article.objects.get(pk=draft.pk).classification == Classification.STANDARD


def test_an_unknown_classification_is_refused_with_the_choices(draft, ada):
    with pytest.raises(ValidationError, match="standard, confidential, restricted"):
        classification.article_classify(actor=ada, article=draft, classification="secret")


def test_lowering_alone_is_refused(restricted, ada):
    with pytest.raises(ValidationError, match="needs a second publisher"):
        classification.article_classify(actor=ada, article=restricted, classification="standard")
    assert Article.objects.get(pk=restricted.pk).classification == Classification.RESTRICTED


def test_lowering_is_applied_by_a_second_publishers_approval(restricted, ada, bob):
    request = approvals.approval_request_lowering(
        actor=ada, article=restricted, classification_name="standard"
    )
    assert Article.objects.get(pk=restricted.pk).classification == Classification.RESTRICTED
    approvals.approval_give(actor=bob, approval=request)
    assert Article.objects.get(pk=restricted.pk).classification == Classification.STANDARD
    lowered = events(restricted, AuditEvent.Action.CLASSIFY)[-1]
    assert lowered.actor == bob
    assert lowered.detail | {"approval": None} == {
        "from": "restricted",
        "to": "standard",
        "requested_by": "ada",
        "approved_by": "bob",
        "approval": None,
    }
    assert events(restricted, AuditEvent.Action.APPROVAL_REQUEST)[-1].actor == ada


def test_the_requester_cannot_approve_their_own_lowering(restricted, ada):
    request = approvals.approval_request_lowering(
        actor=ada, article=restricted, classification_name="confidential"
    )
    with pytest.raises(ValidationError, match="second publisher must give it"):
        approvals.approval_give(actor=ada, approval=request)
    assert Article.objects.get(pk=restricted.pk).classification == Classification.RESTRICTED


def test_the_site_itself_cannot_ask_or_approve(restricted, ada):
    with pytest.raises(PermissionDenied, match="two people"):
        approvals.approval_request_lowering(
            actor=SYSTEM, article=restricted, classification_name="standard"
        )
    request = approvals.approval_request_lowering(
        actor=ada, article=restricted, classification_name="standard"
    )
    with pytest.raises(PermissionDenied, match="two people"):
        approvals.approval_give(actor=SYSTEM, approval=request)


# --- confidential: short share links --------------------------------------------------------------


def test_confidential_links_last_at_most_72_hours(draft, ada):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    with pytest.raises(ValidationError, match="at most 72 hours"):
        publishing.preview_link_issue(
            actor=SYSTEM, article=draft, label="Legal", ttl=timedelta(hours=73)
        )
    link, _token = publishing.preview_link_issue(
        actor=SYSTEM, article=draft, label="Legal", ttl=timedelta(hours=72)
    )
    assert link.pk is not None


def test_becoming_confidential_shortens_longer_links_to_the_limit(draft, ada):
    long, _token = publishing.preview_link_issue(
        actor=SYSTEM, article=draft, label="Board", ttl=timedelta(days=20)
    )
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    long.refresh_from_db()
    assert long.expires_at <= timezone.now() + timedelta(hours=72)
    assert events(draft, AuditEvent.Action.CLASSIFY)[-1].detail["links_shortened"] == [long.pk]


def test_updating_a_confidential_link_that_outlives_the_limit_is_refused(draft, ada):
    """A link older than the rule (e.g. restored from a backup) is not carried to a new draft."""
    link, _token = publishing.preview_link_issue(
        actor=SYSTEM, article=draft, label="Board", ttl=timedelta(days=20)
    )
    Article.objects.filter(pk=draft.pk).update(classification=Classification.CONFIDENTIAL)
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    with pytest.raises(ValidationError, match="at most 72 hours"):
        publishing.preview_link_update(actor=SYSTEM, link=link)
    assert PreviewLink.objects.get(pk=link.pk).revision.number == 1


def test_exposure_audit_flags_a_confidential_article_with_too_many_live_links(draft, ada):
    classification.article_classify(actor=ada, article=draft, classification="confidential")
    for label in ("one", "two"):
        publishing.preview_link_issue(actor=SYSTEM, article=draft, label=label)
    with override_settings(EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS=2):
        assert handling.confidential_link_findings() == []
    with override_settings(EMBARGO_CONFIDENTIAL_MAX_LIVE_LINKS=1):
        (finding,) = handling.confidential_link_findings()
    assert finding.object == "article merger-plan [confidential]"
    assert "2 live share links" in finding.evidence


# --- restricted: no share links -------------------------------------------------------------------


def test_a_restricted_article_cannot_be_shared_by_link(restricted):
    with pytest.raises(ValidationError, match="cannot be shared by link"):
        publishing.preview_link_issue(actor=SYSTEM, article=restricted, label="Legal")
    assert not PreviewLink.objects.filter(article=restricted).exists()


def test_becoming_restricted_revokes_live_links_and_says_so(draft, ada):
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    classification.article_classify(actor=ada, article=draft, classification="restricted")
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.revoked_reason == classification.RESTRICTED_REVOKE_REASON
    assert not PreviewLink.objects.live().filter(pk=link.pk).exists()
    (revoked,) = events(draft, AuditEvent.Action.PREVIEW_REVOKE)
    assert revoked.detail["links"] == [link.pk]
    assert events(draft, AuditEvent.Action.CLASSIFY)[-1].detail["links_revoked"] == [link.pk]


def test_a_link_of_a_restricted_article_cannot_be_updated(draft):
    link, _token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal")
    Article.objects.filter(pk=draft.pk).update(classification=Classification.RESTRICTED)
    publishing.article_update(actor=SYSTEM, article=draft, title="Newer")
    with pytest.raises(ValidationError, match="cannot be shared by link"):
        publishing.preview_link_update(actor=SYSTEM, link=link)


# --- restricted: two-person publish ---------------------------------------------------------------


def test_a_restricted_article_is_not_published_without_approval(restricted, ada):
    for actor in (ada, SYSTEM):
        with pytest.raises(ValidationError, match="second publisher's approval"):
            publishing.article_publish(actor=actor, article=restricted)
    assert Article.objects.get(pk=restricted.pk).status == Status.DRAFT


def test_an_approved_restricted_article_is_published_and_the_trail_names_both(restricted, ada, bob):
    approved(restricted, asker=ada, approver=bob)
    publishing.article_publish(actor=ada, article=restricted)
    assert Article.objects.get(pk=restricted.pk).status == Status.PUBLISHED
    (published,) = events(restricted, AuditEvent.Action.PUBLISH)
    assert (published.detail["requested_by"], published.detail["approved_by"]) == ("ada", "bob")
    (asked,) = events(restricted, AuditEvent.Action.APPROVAL_REQUEST)
    (gave,) = events(restricted, AuditEvent.Action.APPROVAL_GIVE)
    assert (asked.actor, gave.actor) == (ada, bob)


def test_the_requester_cannot_approve_their_own_publication(restricted, ada):
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    with pytest.raises(ValidationError, match="second publisher must give it"):
        approvals.approval_give(actor=ada, approval=request)
    with pytest.raises(ValidationError):
        publishing.article_publish(actor=ada, article=restricted)


def test_the_last_editor_cannot_approve(restricted, ada, carl):
    """Carl (publisher and editor) wrote the draft being published: a third person must approve."""
    publishing.article_update(actor=carl, article=restricted, title="Carl's edit")
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    with pytest.raises(ValidationError, match="last editor of revision 2"):
        approvals.approval_give(actor=carl, approval=request)
    assert Approval.objects.get(pk=request.pk).approved_at is None


def test_someone_without_publish_cannot_approve(restricted, ada):
    editor = make_user("eddie", groups=("Editors",))
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    with pytest.raises(PermissionDenied, match="Only a publisher"):
        approvals.approval_give(actor=editor, approval=request)


def test_an_edit_after_approval_voids_it(restricted, ada, bob, alice):
    approved(restricted, asker=ada, approver=bob)
    publishing.article_update(actor=alice, article=restricted, title="A late change")
    with pytest.raises(ValidationError, match="edited after revision 1 was approved"):
        publishing.article_publish(actor=ada, article=restricted)
    assert Article.objects.get(pk=restricted.pk).status == Status.DRAFT


def test_an_approval_asked_by_an_account_deleted_since_still_names_it(restricted, ada, bob):
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    ada.delete()
    approvals.approval_give(actor=bob, approval=Approval.objects.get(pk=request.pk))
    publishing.article_publish(actor=bob, article=restricted)
    (published,) = events(restricted, AuditEvent.Action.PUBLISH)
    assert (published.detail["requested_by"], published.detail["approved_by"]) == (
        "a deleted account",
        "bob",
    )


def test_asking_again_for_an_approved_draft_is_refused(restricted, ada, bob):
    """A second request would replace the approval that was given."""
    approved(restricted, asker=ada, approver=bob)
    with pytest.raises(ValidationError, match="already approved by bob"):
        approvals.approval_request_publication(actor=ada, article=restricted)


def test_an_edit_between_request_and_approval_refuses_the_approval(restricted, ada, bob, alice):
    request = approvals.approval_request_publication(actor=ada, article=restricted)
    publishing.article_update(actor=alice, article=restricted, title="A late change")
    with pytest.raises(ValidationError, match="edited after the request"):
        approvals.approval_give(actor=bob, approval=request)


def test_an_approval_is_used_up_by_its_publication(restricted, ada, bob):
    approved(restricted, asker=ada, approver=bob)
    publishing.article_publish(actor=ada, article=restricted)
    publishing.article_withdraw(actor=ada, article=restricted)
    publishing.article_return_to_draft(actor=SYSTEM, article=restricted)
    with pytest.raises(ValidationError, match="second publisher's approval"):
        publishing.article_publish(actor=ada, article=restricted)


def test_scheduling_a_restricted_article_needs_approval(restricted, ada, bob):
    when = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError, match="second publisher's approval"):
        publishing.article_schedule(actor=ada, article=restricted, publish_at=when)
    approved(restricted, asker=ada, approver=bob)
    publishing.article_schedule(actor=ada, article=restricted, publish_at=when)
    (scheduled,) = events(restricted, AuditEvent.Action.SCHEDULE)
    assert scheduled.detail["approved_by"] == "bob"
    published, _withdrawn = publishing.publish_due_articles(now=when + timedelta(minutes=1))
    assert [article.slug for article in published] == ["merger-plan"]
    assert events(restricted, AuditEvent.Action.PUBLISH)[0].detail["requested_by"] == "ada"


def test_the_scheduled_job_holds_back_an_unapproved_restricted_article(draft, ada, caplog):
    """Scheduled while standard, then raised: the job does not publish it, and says why once."""
    when = timezone.now() + timedelta(hours=1)
    publishing.article_schedule(actor=ada, article=draft, publish_at=when)
    classification.article_classify(actor=ada, article=draft, classification="restricted")
    with caplog.at_level(logging.WARNING, logger="embargo.publishing"):
        for minutes in (1, 2, 3):
            published, _ = publishing.publish_due_articles(now=when + timedelta(minutes=minutes))
            assert published == []
            # Other events in between (someone reading the draft) do not make it record again.
            publishing.audit_record(action=AuditEvent.Action.VIEW, actor=ada, article=draft)
    assert Article.objects.get(pk=draft.pk).status == Status.SCHEDULED
    (held,) = events(draft, AuditEvent.Action.PUBLICATION_HELD)
    assert "second publisher's approval" in held.detail["reason"]
    assert [r.getMessage() for r in caplog.records if "held back" in r.getMessage()] == [
        f"Scheduled publication of merger-plan held back: {held.detail['reason']}"
    ]


def test_the_scheduled_job_holds_back_an_article_edited_after_approval(restricted, ada, bob, carl):
    when = timezone.now() + timedelta(hours=1)
    approved(restricted, asker=ada, approver=bob)
    publishing.article_schedule(actor=ada, article=restricted, publish_at=when)
    publishing.article_update(actor=carl, article=restricted, title="After approval")
    published, _ = publishing.publish_due_articles(now=when + timedelta(minutes=1))
    assert published == []
    assert (
        "no longer its working draft"
        in (events(restricted, AuditEvent.Action.PUBLICATION_HELD)[0].detail["reason"])
    )
