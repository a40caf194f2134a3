"""A restricted draft's files reach its readers as copies marked for each; when a reader loses the
article, whichever way, those copies leave storage with the access: their grant or their group's
taken away, a group left or emptied or deleted, a global permission or superuser status lost, the
account deactivated or deleted. Copies of what they still see stay."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from articles import publishing
from articles.access import SYSTEM
from articles.models import Article, Classification, Mark, MarkedCopy, Status
from articles.publishing import people
from articles.storage import asset_storage
from tests.factories import make_article, make_user, permission, png_upload

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


@pytest.fixture
def board_member():
    """A reader who sees the restricted draft only through the group "Board"."""
    board = Group.objects.create(name="Board")
    reader = make_user("grace")
    reader.groups.add(board)
    return reader


def _board_may_view(article) -> Group:
    board = Group.objects.get(name="Board")
    publishing.access_grant(actor=SYSTEM, article=article, perm="view", group=board)
    return board


def test_leaving_the_group_that_held_the_view_deletes_the_copy_from_storage(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    _board_may_view(restricted)
    name = _copy_served_to(client, board_member, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=board_member, groups=[])

    assert not asset_storage().exists(name)
    assert not MarkedCopy.objects.filter(mark__reader=board_member).exists()


def test_being_removed_from_the_groups_members_deletes_the_copy_from_storage(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    board = _board_may_view(restricted)
    name = _copy_served_to(client, board_member, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.group_access_change(actor=SYSTEM, group=board, members=[])

    assert not asset_storage().exists(name)


def test_deleting_the_group_deletes_its_members_copies_from_storage(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    board = _board_may_view(restricted)
    name = _copy_served_to(client, board_member, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        board.delete()

    assert not asset_storage().exists(name)
    assert not MarkedCopy.objects.filter(mark__reader=board_member).exists()


def test_losing_a_global_view_permission_deletes_the_copy_from_storage(
    client, restricted, django_capture_on_commit_callbacks
):
    reader = make_user("grace", perms=("view_article",))
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=reader, permissions=[])

    assert not asset_storage().exists(name)


def test_a_groups_global_view_permission_taken_away_deletes_the_copy_from_storage(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    board = Group.objects.get(name="Board")
    board.permissions.add(permission("articles.view_article"))
    name = _copy_served_to(client, board_member, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.group_access_change(actor=SYSTEM, group=board, permissions=[])

    assert not asset_storage().exists(name)


def test_losing_superuser_status_deletes_the_copy_from_storage(
    client, restricted, django_capture_on_commit_callbacks
):
    reader = make_user("grace")
    reader.is_superuser = True
    reader.save(update_fields=["is_superuser"])
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=reader, is_superuser=False)

    assert not asset_storage().exists(name)


def test_deactivating_the_account_deletes_the_copy_from_storage(
    client, restricted, django_capture_on_commit_callbacks
):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=reader, is_active=False)

    assert not asset_storage().exists(name)
    assert not MarkedCopy.objects.filter(mark__reader=reader).exists()


def test_a_deactivation_that_rolls_back_keeps_the_copy(client, restricted):
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    name = _copy_served_to(client, reader, restricted)

    with pytest.raises(RuntimeError), transaction.atomic():
        people.user_access_change(actor=SYSTEM, user=reader, is_active=False)
        raise RuntimeError("the change fails after the deactivation")

    assert asset_storage().exists(name)
    assert MarkedCopy.objects.filter(mark__reader=reader).exists()


def test_deleting_the_account_deletes_the_copy_from_storage_and_keeps_the_mark(
    client, restricted, django_capture_on_commit_callbacks
):
    """The mark stays, named, so that a copy leaked before the deletion still traces."""
    reader = make_user("grace")
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", user=reader)
    name = _copy_served_to(client, reader, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        reader.delete()

    assert not asset_storage().exists(name)
    assert not MarkedCopy.objects.exists()
    assert Mark.objects.get(article=restricted).recipient == "grace"


def test_a_copy_still_visible_through_another_group_stays(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    _board_may_view(restricted)
    legal = Group.objects.create(name="Legal")
    board_member.groups.add(legal)
    publishing.access_grant(actor=SYSTEM, article=restricted, perm="view", group=legal)
    kept = _copy_served_to(client, board_member, restricted)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=board_member, groups=[legal])

    assert asset_storage().exists(kept)
    assert MarkedCopy.objects.filter(mark__reader=board_member).exists()


def test_a_copy_of_an_article_now_public_stays(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    _board_may_view(restricted)
    kept = _copy_served_to(client, board_member, restricted)
    Article.objects.filter(pk=restricted.pk).update(
        status=Status.PUBLISHED, live_revision=restricted.latest_revision
    )

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=board_member, groups=[])

    assert asset_storage().exists(kept)


def test_only_the_copies_of_articles_lost_go(
    client, restricted, board_member, django_capture_on_commit_callbacks
):
    """Leaving a group takes the articles it gave; a grant of the reader's own keeps its copy."""
    _board_may_view(restricted)
    lost = _copy_served_to(client, board_member, restricted)
    own = make_article("own-brief", body="![chart](chart.png)", files=[png_upload("chart.png")])
    Article.objects.filter(pk=own.pk).update(classification=Classification.RESTRICTED)
    own = Article.objects.get(pk=own.pk)
    publishing.access_grant(actor=SYSTEM, article=own, perm="view", user=board_member)
    kept = _copy_served_to(client, board_member, own)

    with django_capture_on_commit_callbacks(execute=True):
        people.user_access_change(actor=SYSTEM, user=board_member, groups=[])

    assert not asset_storage().exists(lost)
    assert asset_storage().exists(kept)
