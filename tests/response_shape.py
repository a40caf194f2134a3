"""The whole shape of a response, for comparing a hidden object's answer with a missing one's.

Status and body are not enough: the header names *in order*, their values and the cookies a response
sets or deletes can each tell a hidden object from one that never existed in a single request.
"""

import re
from collections.abc import Iterable

from django.conf import settings
from django.test import Client

# Any 32 characters look like a session key; no session with this key exists.
FORGED_SESSION_KEY = "f0rgedsessi0nkey" * 2
# Not a user: the person who is an anonymous visitor sending a session cookie no session has.
FORGED_SESSION = "forged session cookie"
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


# New in every response, whatever was asked for: the CSP nonce (the admin's pages carry one) and
# the masked CSRF token of a form.
PER_RESPONSE = re.compile(r"nonce-[^']+|nonce=\"[^\"]+\"|(?<=csrfmiddlewaretoken\" value=\")[^\"]+")


def _masked(text: str, asked: Iterable[str]) -> str:
    """``text`` with what is new in every response, and each identifier the request named, written
    as fixed words."""
    text = PER_RESPONSE.sub("nonce", text)
    for identifier in asked:
        text = text.replace(identifier, "ASKED")
    return text


def shape_of(response, asked: Iterable[str] = ()) -> tuple:
    """Status, body, headers (names and values, in order) and cookie changes, nonce and ``asked``
    masked. Masking may change the body's length: a Content-Length that is the length of the body
    received is compared through the masked body (a HEAD answer's, with no body, as it is)."""
    asked = tuple(asked)
    body = body_of(response)
    headers = list(response.headers.items())
    if asked and body and response.get("Content-Length") == str(len(body)):
        headers = [
            (name, "LENGTH" if name == "Content-Length" else value) for name, value in headers
        ]
    return (
        response.status_code,
        _masked(body.decode("latin-1"), asked),
        [(name, _masked(value, asked)) for name, value in headers],
        cookie_changes(response),
    )


def assert_same_shape(response, reference, *, asked: Iterable[tuple[str, str]] = ()) -> None:
    """Same status, body, headers (names, values and order) and cookie changes as ``reference``.

    ``asked`` pairs what ``response``'s request named with what ``reference``'s did (a slug, an id
    in a path): an answer may echo the address it was asked, so each side masks its own.
    """
    pairs = tuple(asked)
    found = shape_of(response, [mine for mine, _ in pairs])
    missing = shape_of(reference, [theirs for _, theirs in pairs])
    assert found[0] == missing[0], "status"
    assert found[1] == missing[1], "body"
    assert found[2] == missing[2], "headers, in order"
    assert found[3] == missing[3], "cookies set or deleted"
