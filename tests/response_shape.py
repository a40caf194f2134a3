"""The whole shape of a response, for comparing a hidden object's answer with a missing one's.

Status and body are not enough: the header names *in order*, their values and the cookies a response
sets or deletes can each tell a hidden object from one that never existed in a single request.
"""

from django.conf import settings
from django.test import Client

# Any 32 characters look like a session key; no session with this key exists.
FORGED_SESSION_KEY = "f0rgedsessi0nkey" * 2
# The three ways a request can arrive: no cookie, a forged session cookie, a real session.
SESSION_KINDS = ("no_cookie", "forged_session", "real_session")


class ForgedSessionClient(Client):
    """A client sending the same forged session cookie with every request, whatever came back."""

    def request(self, **request):
        self.cookies[settings.SESSION_COOKIE_NAME] = FORGED_SESSION_KEY
        return super().request(**request)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def cookie_changes(response) -> dict[str, str]:
    """Each cookie the response sets or deletes, and which of the two it does."""
    return {
        name: "deleted" if morsel["max-age"] == 0 or not morsel.value else "set"
        for name, morsel in response.cookies.items()
    }


def assert_same_shape(response, reference) -> None:
    """Same status, body, headers (names, values and order) and cookie changes as ``reference``."""
    assert response.status_code == reference.status_code
    assert body_of(response) == body_of(reference)
    assert list(response.headers.items()) == list(reference.headers.items())
    assert cookie_changes(response) == cookie_changes(reference)
