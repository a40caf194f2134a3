"""Database sessions whose lookup is compiled once per process.

Django's own ``db`` backend, but the read every signed-in request makes (the session row by key,
unexpired) runs from SQL compiled once (``access.prepared``): building that query cost a signed-in
reader's page as much as the access lookup did. Sessions still live in the database only, never in
the cache, so a cache outage signs nobody out; writes, expiry and ``clearsessions`` are Django's.
"""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from articles.access import prepared
from articles.access.policy import Person


def _unexpired_session(person: Person, session_key: str, now: datetime) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        # No person is asked about: the lookup is the same for everyone (the "nobody" shape).
        session = (
            None
            if key is None
            else prepared.first(_unexpired_session, AnonymousUser(), key, timezone.now())
        )
        if session is None:
            self._session_key = None  # as Django's backend: a key that names nothing is dropped
        return session
