"""Access that ends: a share link dies with its creator's access and when revoked or expired, a
revoke or a deactivation takes effect on the next request, and a grant to guardian's anonymous user
publishes nothing. Each dead door answers as one that never existed."""

import pytest
from django.contrib.auth.models import Group, User
from django.core import signing
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm
from guardian.utils import get_anonymous_user

from articles import publishing
from articles.access import PREVIEW_SALT, SYSTEM
from articles.models import Article
from tests.leak_matrix import STATES, assert_same_as_missing, client_for, make_article

COVERED_ROUTES = {"preview", "preview-asset", "preview-asset-rendition"}


LOSSES = ["revoke_view", "revoke_share", "deactivated", "group_grant_removed"]


def lose_access(loss: str, person: User, article: Article, desk: Group) -> None:
    """Take away, in one of the ways a person loses it, the access ``person`` shares ``article`` with."""
    if loss == "revoke_view":
        publishing.access_revoke(actor=SYSTEM, article=article, perm="view", user=person)
    elif loss == "revoke_share":
        publishing.access_revoke(actor=SYSTEM, article=article, perm="share", user=person)
    elif loss == "deactivated":
        person.is_active = False
        person.save()
    else:
        publishing.access_revoke(actor=SYSTEM, article=article, perm="view", group=desk)


@pytest.mark.parametrize("door", ["preview", "preview_asset"])
@pytest.mark.parametrize("loss", LOSSES)
# Past its embargo end a link is refused already (tests/test_preview_links.py).
@pytest.mark.parametrize("state", [state for state in STATES if state != "embargo_ended"])
def test_a_share_link_dies_with_its_creators_access(client, people, roles, state, loss, door):
    """Every state, every way of losing access: the link is then a token that was never issued."""
    article = make_article(state, people, roles)
    desk = Group.objects.create(name="Desk")
    sharer = User.objects.create_user("sharer")
    if loss == "group_grant_removed":
        desk.user_set.add(sharer)
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=desk)
    else:
        publishing.access_grant(actor=SYSTEM, article=article, perm="view", user=sharer)
    publishing.access_grant(actor=SYSTEM, article=article, perm="share", user=sharer)
    _, token = publishing.preview_link_issue(actor=sharer, article=article, label="Counsel")
    never = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    asset = article.assets.get()

    def get(link_token: str):
        if door == "preview":
            return client.get(f"/preview/{link_token}/")
        return client.get(f"/preview/{link_token}/assets/{asset.token}/{asset.download_name}")

    assert get(token).status_code == 200
    lose_access(loss, sharer, article, desk)
    assert_same_as_missing(get(token), get(never))


@pytest.mark.parametrize("ended_by", ["revoked", "expired"])
@pytest.mark.parametrize("door", ["preview", "preview_asset", "preview_asset_rendition"])
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant"])
def test_a_dead_share_link_looks_like_one_never_issued(
    client, people, roles, ended_by, door, person
):
    """Status, body, headers in order and cookies match a token that was never issued."""
    draft = make_article("draft", people, roles)
    link, token = publishing.preview_link_issue(actor=SYSTEM, article=draft, label="Legal review")
    never_issued = signing.Signer(salt=PREVIEW_SALT).sign("never-issued")
    asset = draft.assets.get()

    def url(preview_token: str) -> str:
        if door == "preview":
            return f"/preview/{preview_token}/"
        if door == "preview_asset_rendition":  # the 8 px PNG's WebP
            return f"/preview/{preview_token}/assets/{asset.token}/8w.webp/{asset.download_name}"
        return f"/preview/{preview_token}/assets/{asset.token}/{asset.download_name}"

    # Served while the link worked: its marked copies existed (they are deleted with the link).
    served = Client().get(url(token))
    assert served.status_code == 200
    if served.streaming:
        b"".join(served.streaming_content)  # read to the end, which closes the file
    if ended_by == "revoked":
        publishing.preview_link_revoke(actor=SYSTEM, link=link)
    else:
        type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now())
    client = client_for(client, people[person])
    assert_same_as_missing(client.get(url(token)), client.get(url(never_issued)))


def test_grant_to_guardians_anonymous_user_does_not_publish(client, people, roles):
    draft = make_article("draft", people, roles)
    assign_perm("view_article", get_anonymous_user(), draft)
    assign_perm("articles.view_article", get_anonymous_user())
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404
    assert not Article.objects.visible_to(get_anonymous_user()).exists()


def test_services_refuse_to_grant_the_anonymous_user(people, roles):
    draft = make_article("draft", people, roles)
    with pytest.raises(Exception, match="only publishing makes an article public"):
        publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=get_anonymous_user())


def test_revoking_takes_effect_on_the_next_request(client, people, roles):
    draft = make_article("draft", people, roles)
    reader = people["no_grant"]
    publishing.access_grant(actor=SYSTEM, article=draft, perm="view", user=reader)
    client.force_login(reader)
    assert client.get(f"/articles/{draft.slug}/").status_code == 200
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 200
    publishing.access_revoke(actor=SYSTEM, article=draft, perm="view", user=reader)
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
    assert client.get(draft.assets.get().get_absolute_url()).status_code == 404


def test_inactive_grant_holder_sees_nothing(client, people, roles):
    draft = make_article("draft", people, roles)
    early = people["early_access"]
    client.force_login(early)
    User.objects.filter(pk=early.pk).update(is_active=False)
    assert client.get(f"/articles/{draft.slug}/").status_code == 404
