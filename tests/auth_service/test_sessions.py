"""Refresh tokens, sign-out and password change: rotation, one use, revocation at once."""

import pytest

from auth_service import sessions
from tests.auth_service.support import PASSWORD, unique_email
from tests.helpers import assert_problem

PROTECTED = ("GET", "/auth/me")


def refresh(client, token: str):
    return client.post("/auth/refresh", json={"refreshToken": token})


def test_sign_in_gives_a_short_access_token_and_a_refresh_token(auth):
    email = unique_email()
    auth.signup(email=email)
    body = auth.signin(email).get_json()
    assert body["expiresIn"] == 900
    assert body["refreshExpiresIn"] == int(sessions.REFRESH_TTL.total_seconds())
    assert len(body["refreshToken"]) >= 40


def test_a_refresh_token_rotates_and_works_once(client, auth):
    first = auth.signup()
    renewed = refresh(client, first["refreshToken"])
    assert renewed.status_code == 200, renewed.get_json()
    body = renewed.get_json()
    assert body["userId"] == first["userId"] and body["refreshToken"] != first["refreshToken"]
    assert auth.verify(*PROTECTED, token=body["accessToken"]).status_code == 200
    assert refresh(client, body["refreshToken"]).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_its_whole_family(client, auth):
    email = unique_email()
    first = auth.signup(email=email)
    other = auth.signin(email).get_json()
    stolen = first["refreshToken"]
    legit = refresh(client, stolen).get_json()
    assert_problem(refresh(client, stolen), 401)
    # the successor and the access token it brought die too: one of the two is a thief
    assert_problem(refresh(client, legit["refreshToken"]), 401)
    assert_problem(auth.verify(*PROTECTED, token=legit["accessToken"]), 401)
    # another sign-in's refresh token (another family) still works
    assert refresh(client, other["refreshToken"]).status_code == 200


def test_sign_out_ends_every_session_of_the_account(client, auth):
    email = unique_email()
    auth.signup(email=email)
    one, two = auth.signin(email).get_json(), auth.signin(email).get_json()
    answer = auth.through_gateway("POST", "/auth/signout", one["accessToken"])
    assert answer.status_code == 204
    for session in (one, two):
        assert_problem(auth.verify(*PROTECTED, token=session["accessToken"]), 401)
        assert_problem(refresh(client, session["refreshToken"]), 401)
    again = auth.signin(email).get_json()
    assert auth.verify(*PROTECTED, token=again["accessToken"]).status_code == 200


def test_changing_the_password_revokes_the_old_tokens_and_the_old_password(client, auth):
    email = unique_email()
    old = auth.signup(email=email)
    change = {"currentPassword": PASSWORD, "newPassword": "a brand new secret"}
    answer = auth.through_gateway("POST", "/auth/password", old["accessToken"], json=change)
    assert answer.status_code == 200, answer.get_json()
    fresh = answer.get_json()
    assert_problem(auth.verify(*PROTECTED, token=old["accessToken"]), 401)
    assert_problem(refresh(client, old["refreshToken"]), 401)
    assert auth.verify(*PROTECTED, token=fresh["accessToken"]).status_code == 200
    assert_problem(auth.signin(email, PASSWORD), 401)
    assert auth.signin(email, "a brand new secret").status_code == 200


@pytest.mark.parametrize(
    "body, status",
    [
        ({"currentPassword": "wrong password", "newPassword": "a brand new secret"}, 403),
        ({"currentPassword": PASSWORD, "newPassword": "short"}, 422),
        ({"currentPassword": PASSWORD}, 422),
        ({"currentPassword": PASSWORD, "newPassword": "a brand new secret", "x": 1}, 422),
    ],
)
def test_a_refused_password_change_keeps_the_tokens(auth, body, status):
    old = auth.signup()
    answer = auth.through_gateway("POST", "/auth/password", old["accessToken"], json=body)
    assert_problem(answer, status)
    assert auth.verify(*PROTECTED, token=old["accessToken"]).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"refreshToken": ""}, {"refreshToken": 7}, {"refreshToken": "x" * 201}]
)
def test_a_malformed_refresh_body_is_422(client, body):
    assert_problem(client.post("/auth/refresh", json=body), 422)


def test_an_unknown_refresh_token_is_401(client):
    assert_problem(refresh(client, "not-a-token-we-made"), 401)


def test_deleting_the_account_removes_its_refresh_tokens(client, auth):
    body = auth.signup()
    uri = f"/auth/users/{body['userId']}"
    assert auth.through_gateway("DELETE", uri, body["accessToken"]).status_code == 204
    assert_problem(refresh(client, body["refreshToken"]), 401)


def test_refresh_is_public_at_the_gateway_and_sign_out_is_not(auth):
    assert auth.verify("POST", "/auth/refresh").status_code == 200
    assert_problem(auth.verify("POST", "/auth/signout"), 401)
    assert_problem(auth.verify("POST", "/auth/password"), 401)
