"""The account doors: sign-in (brute force, session fixation), sign-out, password change, the
account page and /healthz reveal no unpublished work to anyone who may not see it."""

import pytest

from tests.leak_matrix import SECRET_TITLE, client_for, make_article

COVERED_ROUTES = {
    "account",
    "healthz",
    "login",
    "logout",
    "password_change",
    "password_change_done",
}


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/password_change/", "/account/", "/healthz"]
)
@pytest.mark.parametrize("person", ["anonymous", "no_grant", "revoked"])
def test_account_pages_reveal_no_unpublished_work(
    client, people, roles, url, person, storage_sentinel
):
    make_article("draft", people, roles)
    client = client_for(client, people[person])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert SECRET_TITLE.encode() not in response.content


def test_account_page_lists_the_drafts_granted_to_a_reader(client, people, roles):
    make_article("draft", people, roles)
    client.force_login(people["early_access"])
    assert SECRET_TITLE.encode() in client.get("/account/").content


def test_logout_works_by_post_only(client, people):
    client.force_login(people["no_grant"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/").status_code == 302


def test_password_change_done_needs_login(client, db):
    assert client.get("/accounts/password_change/done/").status_code == 302


def test_healthz_reveals_nothing(client, people, roles, storage_sentinel):
    make_article("draft", people, roles)
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "static": "ok",
    }


def test_repeated_failed_logins_lock_out_even_the_right_password(client, people, settings):
    """Brute force: after the failure limit, the right password is refused too, with a message."""
    attempts = [
        client.post("/accounts/login/", {"username": "outsider", "password": "guess"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert attempts[0] == 200  # an ordinary failure first: the form again, with its error
    locked = client.post(
        "/accounts/login/", {"username": "outsider", "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert b"Too many sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_logging_in_issues_a_new_session_key(client, people):
    """Session fixation: a session key planted before login is not the one after it."""
    client.get("/accounts/login/")
    client.cookies["sessionid"] = "planted-session-key"
    response = client.post(
        "/accounts/login/", {"username": "outsider", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != "planted-session-key"
