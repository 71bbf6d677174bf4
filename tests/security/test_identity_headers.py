"""Identity headers a client sends, in any spelling, never become identity: only the auth
service's answer to the gateway's forward-auth call sets them."""

from __future__ import annotations

import json

import pytest

from .conftest import alice_view, raw_request


def spoofs(victim: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "X-User-Id": [("X-User-Id", victim), ("X-User-Role", "ADMIN")],
        "x-user-id": [("x-user-id", victim), ("x-user-role", "ADMIN")],
        "X.User.Id": [("X.User.Id", victim), ("X.User.Role", "ADMIN")],
        "X_User_Id": [("X_User_Id", victim), ("X_User_Role", "ADMIN")],
        "X-USER-ID": [("X-USER-ID", victim), ("X-USER-ROLE", "ADMIN")],
        "duplicate X-User-Id": [("X-User-Id", victim), ("X-User-Id", victim)],
        "duplicate, two spellings": [("X-User-Id", victim), ("x_user_id", victim)],
        "X-User-Role ADMIN alone": [("X-User-Role", "ADMIN")],
        "duplicate X-User-Role ADMIN": [("X-User-Role", "ADMIN"), ("X-User-Role", "ADMIN")],
    }


SPELLINGS = list(spoofs("x"))
JSON = [("Content-Type", "application/json")]


def bearer(api) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {api.token}")]


@pytest.fixture(scope="module")
def before(world) -> dict:
    return alice_view(world)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_spoofed_identity_without_a_token_is_401(gateway, world, recorded, spelling):
    answer = raw_request(
        recorded, gateway, "GET", "/auth/me", spoofs(world.alice.user_id)[spelling]
    )
    assert answer.status == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_spoofed_identity_does_not_change_who_the_caller_is(gateway, world, recorded, spelling):
    headers = bearer(world.bob) + spoofs(world.alice.user_id)[spelling]
    answer = raw_request(recorded, gateway, "GET", "/auth/me", headers)
    assert answer.status == 200
    assert json.loads(answer.text) == {
        "userId": world.bob.user_id,
        "email": world.bob.email,
        "role": "USER",
    }


# (method, path, body, status an outsider gets)
ATTEMPTS = [
    ("DELETE", "/auth/users/{alice}", None, 403),
    ("PATCH", "/users/{alice}", {"displayName": "pwned"}, 403),
    ("GET", "/watchlists/{list}", None, 404),
    ("DELETE", "/watchlists/{list}", None, 404),
    ("GET", "/friendswatchlists/{shared}", None, 404),
]


@pytest.mark.parametrize(
    "method,template,body,status", ATTEMPTS, ids=[f"{m} {p}" for m, p, _, _ in ATTEMPTS]
)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_spoofed_identity_cannot_touch_another_users_data(
    gateway, world, before, recorded, spelling, method, template, body, status
):
    headers = bearer(world.bob) + spoofs(world.alice.user_id)[spelling]
    data = None
    if body is not None:
        headers += JSON
        data = json.dumps(body).encode()
    answer = raw_request(recorded, gateway, method, world.path(template), headers, data)
    assert answer.status == status, answer.text[:300]
    assert "Alice's secrets" not in answer.text and "Alice+Dave" not in answer.text
    assert alice_view(world) == before
