"""Writes to people: global permissions, group membership, staff/superuser/active status, passwords.

These reach every article at once, so each is checked against who may make it and audited (who,
whom, what changed, before → after) in the same transaction as the change. ``actor=SYSTEM`` is the
trusted shell (a management command or ``manage.py shell`` on the server).

| the change                                                        | who may make it             |
|-------------------------------------------------------------------|-----------------------------|
| a user's or group's global ``articles`` permissions               | superusers, access admins   |
| membership of a group                                             | superusers, access admins   |
| membership of a group holding ``administer_access`` (Access       | superusers                  |
| administrators) or anything outside ``articles``; those perms     |                             |
| ``is_staff``, ``is_active``, another person's password            | superusers, access admins   |
| ``is_superuser``; anything about a superuser's account            | superusers                  |
| ``username`` (grants, imports and the trail name people by it)    | superusers, access admins   |
| first and last name, e-mail                                       | also ``auth.change_user``   |

"Access admins" hold ``articles.administer_access``: the Access administrators role
(``roles.ACCESS_ADMINISTRATORS``). Handing that permission out, directly or through a group, is
itself a permission outside the ordinary article ones, so only superusers may.

    changes          Change (one field, before → after) and its audit event
    rules            who may make which change, and the refusals in words
    access_changes   user_access_*, group_access_*: status flags, groups, global permissions
    accounts         user_details_*, username_problem, user_password_*
    deletion         what deleting an account or a group would leave behind: marked copies
"""

from articles.publishing.people.access_changes import (
    GroupAccess,
    UserAccess,
    group_access_change,
    group_access_check,
    user_access_change,
    user_access_check,
)
from articles.publishing.people.accounts import (
    RESERVED_USERNAMES,
    user_details_change,
    user_details_check,
    user_password_check,
    user_password_set,
    username_problem,
)
from articles.publishing.people.changes import DETAIL_FIELDS, FLAGS, Change, permission_label
from articles.publishing.people.rules import (
    ACCESS_PERMISSION,
    NOTHING_CHANGED,
    is_access_administrator,
)

__all__ = [
    "ACCESS_PERMISSION",
    "DETAIL_FIELDS",
    "FLAGS",
    "NOTHING_CHANGED",
    "RESERVED_USERNAMES",
    "Change",
    "GroupAccess",
    "UserAccess",
    "group_access_change",
    "group_access_check",
    "is_access_administrator",
    "permission_label",
    "user_access_change",
    "user_access_check",
    "user_details_change",
    "user_details_check",
    "user_password_check",
    "user_password_set",
    "username_problem",
]
