"""Deleting an account or a group, which no service does (the admin's superuser-only delete, the
shell): what the deletion itself would leave behind is cleaned up as it happens.

A deleted reader's marks stay (``reader`` set to null: a leaked copy still traces), but the copies
marked for them would outlive them in storage, served to no one; so would the copies of a deleted
group's members for articles only the group gave them. Rows go in the deletion's transaction,
files once it commits. Connected in ``ArticlesConfig.ready``.
"""

from django.contrib.auth.models import Group, User
from django.db.models.signals import post_delete, pre_delete

from articles.publishing import marks

# Where a group's members wait between pre_delete (the membership still stored) and post_delete
# (the group's grants gone, so the rule answers for them without it).
_MEMBERS = "_embargo_members_before_deletion"


def _reader_deleted(sender, instance: User, **kwargs) -> None:
    marks.reader_copies_delete_all(reader=instance)


def _group_about_to_be_deleted(sender, instance: Group, **kwargs) -> None:
    setattr(instance, _MEMBERS, list(instance.user_set.all()))


def _group_deleted(sender, instance: Group, **kwargs) -> None:
    marks.reader_copies_delete_where_access_lost(readers=getattr(instance, _MEMBERS, []))


def connect() -> None:
    """Connect the receivers (once: the dispatch uids make a second call a no-op)."""
    pre_delete.connect(_reader_deleted, sender=User, dispatch_uid="embargo.reader_deleted")
    pre_delete.connect(
        _group_about_to_be_deleted, sender=Group, dispatch_uid="embargo.group_about_to_be_deleted"
    )
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="embargo.group_deleted")
