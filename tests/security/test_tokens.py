"""Every protected route refuses every kind of missing or bad token with a 401 problem."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import sign_up

from .conftest import assert_problem
from .routes import fill, routes_param
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
