"""Every protected route refuses every kind of missing or bad token with a 401 problem;
signing out or changing the password revokes an account's tokens at once; refresh tokens
rotate, work once, and a reused one revokes its family."""

from __future__ import annotations

import jwt
import pytest
import requests

from tests.helpers import PASSWORD, sign_up

from .routes import fill, routes_param
from .support import assert_problem
from .tokens import TOKEN_KINDS, authorization_headers


@pytest.fixture(scope="module")
def bad_authorizations(gateway, world, token_key) -> dict[str, str | None]:
    gone = sign_up(gateway, "Gone")
    assert gone.delete(f"/auth/users/{gone.user_id}").status_code == 204
    return authorization_headers(
        key=token_key,
        victim=world.alice.user_id,
        attacker_token=world.bob.token,
        deleted_user=gone.user_id,
    )


@pytest.mark.parametrize("kind", TOKEN_KINDS)
@routes_param()
def test_protected_route_refuses_bad_token(gateway, world, bad_authorizations, route, kind):
    method, template, body = route
    authorization = bad_authorizations[kind]
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.request(
        method, gateway + world.path(template), json=fill(world, body), headers=headers, timeout=10
    )
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # the problem names the path the client sent (`instance`); nothing else may carry her id
    leaked = {k: v for k, v in response.json().items() if k != "instance"}
    assert world.alice.user_id not in str(leaked)


def test_the_real_token_of_each_user_still_works(world):
    """The matrix above is only evidence if the same requests succeed with a valid token."""
    me = world.alice.get("/auth/me")
    assert me.status_code == 200 and me.json()["userId"] == world.alice.user_id
    assert world.alice.get(world.path("/watchlists/{list}")).status_code == 200


# -- revocation and refresh, through the gateway --------------------------------------


def _sign_in(gateway: str, api) -> dict:
    response = requests.post(
        f"{gateway}/auth/signin", json={"email": api.email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def _works(gateway: str, access_token: str) -> bool:
    response = requests.get(
        f"{gateway}/watchlists", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def _refresh(gateway: str, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{gateway}/auth/refresh", json={"refreshToken": refresh_token}, timeout=10
    )


def test_access_tokens_stay_short_lived(gateway):
    user = sign_up(gateway, "Short")
    body = _sign_in(gateway, user)
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    assert body["expiresIn"] <= 15 * 60 and claims["exp"] - claims["iat"] <= 15 * 60


def test_signing_out_revokes_every_token_of_the_account_at_once(gateway):
    user = sign_up(gateway, "Leaving")
    phone, laptop = _sign_in(gateway, user), _sign_in(gateway, user)
    assert _works(gateway, phone["accessToken"]) and _works(gateway, user.token)
    assert user.post("/auth/signout").status_code == 204
    for session in (phone, laptop):
        assert not _works(gateway, session["accessToken"])
        assert_problem(_refresh(gateway, session["refreshToken"]), 401)
    assert not _works(gateway, user.token)
    assert _works(gateway, _sign_in(gateway, user)["accessToken"])


def test_changing_the_password_revokes_the_accounts_tokens_at_once(gateway):
    user = sign_up(gateway, "Rotating")
    other_device = _sign_in(gateway, user)
    change = {"currentPassword": PASSWORD, "newPassword": "another long secret"}
    answer = user.post("/auth/password", json=change)
    assert answer.status_code == 200, answer.text
    assert not _works(gateway, user.token) and not _works(gateway, other_device["accessToken"])
    assert_problem(_refresh(gateway, other_device["refreshToken"]), 401)
    assert _works(gateway, answer.json()["accessToken"])
    old = {"email": user.email, "password": PASSWORD}
    assert_problem(requests.post(f"{gateway}/auth/signin", json=old, timeout=10), 401)


def test_a_refresh_token_rotates_works_once_and_its_reuse_revokes_the_family(gateway):
    user = sign_up(gateway, "Refreshing")
    first = _sign_in(gateway, user)
    renewed = _refresh(gateway, first["refreshToken"])  # public: no access token needed
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["refreshToken"] != first["refreshToken"]
    assert _works(gateway, second["accessToken"])
    # a copy of the spent token is presented: the family and its live tokens die
    assert_problem(_refresh(gateway, first["refreshToken"]), 401)
    assert_problem(_refresh(gateway, second["refreshToken"]), 401)
    assert not _works(gateway, second["accessToken"])
