"""One permission policy: the reads, the per-object answers, the actions offered and the audience agree."""

import io

import pytest
from django.core.management import call_command

from articles import access, publishing
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
