"""One permission policy: the reads, the per-object answers, the actions offered and the audience agree."""

import io

import pytest
from django.core.management import call_command

from articles import access, publishing
from articles.admin.forms import ArticleForm
from articles.models import Article, AuditEvent, Revision
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("perm", ["change", "publish", "share"])
def test_a_grant_without_view_is_worth_nothing_everywhere(perm):
    """``grant publish SLUG --user pubonly``: no door may say yes while may_view says no."""
    article = make_article("follow-up-audit")
    pubonly = make_user("pubonly")
    call_command("grant", perm, article.slug, "--user", "pubonly", stdout=io.StringIO())
    codename = access.PERMISSIONS[perm]
    assert not access.may_view(pubonly, article)
    assert not access.has_article_permission(pubonly, codename, article)
    assert publishing.allowed_actions(actor=pubonly, article=article) == []
    assert "pubonly" not in {h.name for h in access.who_can_see(article).holders}


def test_with_view_the_same_grant_counts_everywhere():
    article = make_article("follow-up-audit")
    pubonly = make_user("pubonly")
    for perm in ("view", "publish"):
        call_command("grant", perm, article.slug, "--user", "pubonly", stdout=io.StringIO())
    assert access.may_view(pubonly, article)
    assert access.has_article_permission(pubonly, "publish_article", article)
    assert "publish" in publishing.allowed_actions(actor=pubonly, article=article)
    (holder,) = [h for h in access.who_can_see(article).holders if h.name == "pubonly"]
    assert holder.perms == ("view", "publish")


def test_the_vocabulary_is_written_once():
    assert publishing.PERMISSIONS is access.PERMISSIONS
    assert set(access.ARTICLE_PERMS) == set(access.PERMISSIONS.values())


def test_services_refuse_a_missing_actor():
    """``actor=None`` used to be all-powerful; the site itself must now be named (access.SYSTEM)."""
    with pytest.raises(TypeError, match=r"access\.SYSTEM"):
        publishing.article_create(actor=None, slug="no-one", title="No one")
    assert not Article.objects.filter(slug="no-one").exists()


def test_an_article_form_without_an_actor_creates_nothing():
    form = ArticleForm(data={"slug": "formless", "title": "Formless", "body": "", "tags": ""})
    assert form.is_valid()
    with pytest.raises(TypeError, match="actor is required"):
        form.save_through_services(actor=None)
    assert not Article.objects.filter(slug="formless").exists()


def test_validating_an_article_form_writes_nothing():
    """Forms validate, services write: ``is_valid()`` creates no article, revision or event."""
    before = (Article.objects.count(), Revision.objects.count(), AuditEvent.objects.count())
    form = ArticleForm(data={"slug": "checked", "title": "Checked", "body": "Text.", "tags": "a"})
    assert form.is_valid()
    after = (Article.objects.count(), Revision.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_the_system_actor_is_named_in_the_audit_trail():
    article = publishing.article_create(
        actor=access.SystemActor("import_articles"), slug="imported", title="Imported"
    )
    event = AuditEvent.objects.get(article=article, action=AuditEvent.Action.CREATE)
    assert (event.actor, event.actor_name) == (None, "import_articles")
    assert article.author is None
