"""A restricted draft's files reach its readers as copies marked for each; when a reader loses the
article (their grant, or their group's, is taken away) those copies leave storage with the access."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Classification, MarkedCopy
from articles.storage import asset_storage
from tests.factories import make_article, make_user, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted():
    article = make_article(
        "quiet-merger", body="![chart](chart.png)", files=[png_upload("chart.png")]
    )
    Article.objects.filter(pk=article.pk).update(classification=Classification.RESTRICTED)
    return Article.objects.get(pk=article.pk)


def _copy_served_to(client, reader, article) -> str:
    chart = article.latest_revision.assets.get()
    client.force_login(reader)
    assert client.get(f"/assets/{chart.token}/{chart.download_name}").status_code == 200
    (copy,) = MarkedCopy.objects.filter(asset=chart, mark__reader=reader)
    assert asset_storage().exists(copy.file.name)
    return copy.file.name


def test_revoking_a_readers_view_deletes_their_marked_copies_from_storage(
    client, restricted, django_capture_on_commit_callbacks
):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=restricted, perm="view", user=reader)

    assert not asset_storage().exists(name)
    assert not MarkedCopy.objects.filter(mark__reader=reader).exists()


def test_revoking_a_groups_view_deletes_its_members_marked_copies_from_storage(
    client, restricted, django_capture_on_commit_callbacks
):
    group = Group.objects.create(name="Board")
    reader = make_user("grace")
    reader.groups.add(group)
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", group=group)
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=restricted, perm="view", group=group)

    assert not asset_storage().exists(name)


def test_a_revoke_that_rolls_back_keeps_the_copy(client, restricted):
    """The file goes only once the revoke has committed: a failed revoke leaves access and copy."""
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    name = _copy_served_to(client, reader, restricted)

    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.access_revoke(actor=SYSTEM, article=restricted, perm="view", user=reader)
        raise RuntimeError("the change fails after the revoke")

    assert asset_storage().exists(name)
    assert MarkedCopy.objects.filter(mark__reader=reader).exists()


def test_another_readers_copy_stays_when_one_reader_is_revoked(
    client, restricted, django_capture_on_commit_callbacks
):
    grace, henry = make_user("grace"), make_user("henry")
    for reader in (grace, henry):
        publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    _copy_served_to(client, grace, restricted)
    kept = _copy_served_to(client, henry, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        publishing.access_revoke(actor=SYSTEM, article=restricted, perm="view", user=grace)

    assert asset_storage().exists(kept)
