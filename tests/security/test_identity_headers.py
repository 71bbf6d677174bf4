"""Identity headers a client sends, in any spelling, never become identity: only the auth
service's answer to the gateway's forward-auth call sets them. Straight at a service's
port (a process on the host or the compose network), `X-User-*` headers count only with
the auth service's signed, request-bound, seconds-long assertion: anything else is 401."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests

from servicekit import keys
from servicekit.assertions import ASSERTION_TTL_S, request_binding

from .support import RawAnswer, alice_view, raw_request


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


# -- straight at a service's port: only the auth service's signed assertion counts -------

# (service, method, path, body): reading and changing Alice's data, and an admin's act
DIRECT = [
    ("watchlist", "GET", "/watchlists/{list}", None),
    ("watchlist", "PATCH", "/watchlists/{list}", {"name": "pwned"}),
    ("auth", "GET", "/auth/me", None),
    ("auth", "DELETE", "/auth/users/{alice}", None),
    ("user", "PATCH", "/users/{alice}", {"displayName": "pwned"}),
    ("friends", "GET", "/friends", None),
    ("friendswatchlist", "GET", "/friendswatchlists/{shared}", None),
]
DIRECT_IDS = [f"{service} {method} {path}" for service, method, path, _ in DIRECT]


def signed_assertion(key: str, victim: str, **changes) -> str:
    """An assertion for `victim` as ADMIN signed with `key`, claims changed as given."""
    now = int(time.time())
    claims = {"iss": "watchlist-tracker-auth", "aud": "internal", "sub": victim}
    claims |= {"role": "ADMIN", "iat": now, "exp": now + 10, **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, keys.private_key(key), algorithm="EdDSA")


def forgeries(stack, world, method: str, path: str) -> dict[str, list[tuple[str, str]]]:
    """Headers a process on the services' network could send to act as Alice."""
    victim = world.alice.user_id
    auth_key = stack.env_for("auth")["WLT_ASSERTION_SIGNING_KEY"]
    public = stack.env_for("user")["WLT_ASSERTION_PUBLIC_KEY"]
    now = int(time.time())
    as_alice = [("X-User-Id", victim), ("X-User-Role", "ADMIN")]
    bound_elsewhere = request_binding("GET", "/auth/me" if path != "/auth/me" else "/friends")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(
        json.dumps({"iss": "watchlist-tracker-auth", "aud": "internal", "sub": victim,
                    "role": "ADMIN", "iat": now, "exp": now + 10}).encode()
    ).decode().rstrip("=")  # fmt: skip
    hs256 = jwt.encode(
        {"iss": "watchlist-tracker-auth", "aud": "internal", "sub": victim, "role": "ADMIN",
         "iat": now, "exp": now + 10}, public, algorithm="HS256")  # fmt: skip

    def with_assertion(value: str) -> list[tuple[str, str]]:
        return [*as_alice, ("X-User-Assertion", value)]

    return {
        "bare identity headers": as_alice,
        "bare role header": [("X-User-Role", "ADMIN")],
        "another key": with_assertion(signed_assertion(keys.generate(), victim)),
        "alg none": with_assertion(f"{none_header}.{payload}."),
        "HS256 keyed with the public key": with_assertion(hs256),
        "expired": with_assertion(signed_assertion(auth_key, victim, iat=now - 60, exp=now - 30)),
        "other audience": with_assertion(signed_assertion(auth_key, victim, aud="watchlist")),
        "made for another request": with_assertion(
            signed_assertion(auth_key, victim, req=bound_elsewhere)
        ),
        "an access token": with_assertion(world.bob.token),
        "Bob's real assertion, Alice's id": [
            ("X-User-Id", victim),
            ("X-User-Role", "USER"),
            ("X-User-Assertion", real_assertion(stack, world.bob, method, path)),
        ],
    }


FORGERIES = [
    "bare identity headers",
    "bare role header",
    "another key",
    "alg none",
    "HS256 keyed with the public key",
    "expired",
    "other audience",
    "made for another request",
    "an access token",
    "Bob's real assertion, Alice's id",
]


def real_assertion(stack, api, method: str, path: str) -> str:
    """What the auth service vouches for `api`'s user on this request (as the gateway asks)."""
    answer = requests.get(
        stack.service_url("auth") + "/verify",
        headers={
            "X-Forwarded-Method": method,
            "X-Forwarded-Uri": path,
            "Authorization": f"Bearer {api.token}",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["X-User-Assertion"]


def send_direct(recorded, stack, service, method, path, headers, body=None) -> RawAnswer:
    """A request straight to a service's port, bypassing the gateway."""
    data = None
    if body is not None:
        headers = [*headers, ("Content-Type", "application/json")]
        data = json.dumps(body).encode()
    return raw_request(recorded, stack.service_url(service), method, path, headers, data)


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("service,method,template,body", DIRECT, ids=DIRECT_IDS)
def test_forged_identity_straight_at_a_service_port_is_401(
    stack, world, before, recorded, service, method, template, body, forgery
):
    path = world.path(template)
    headers = forgeries(stack, world, method, path)[forgery]
    answer = send_direct(recorded, stack, service, method, path, headers, body)
    assert answer.status == 401, (answer.status, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "Alice's secrets" not in answer.text and "Alice+Dave" not in answer.text
    assert alice_view(world) == before


CONTROLS = [(service, path) for service, method, path, _ in DIRECT if method == "GET"]


@pytest.mark.parametrize("service,template", CONTROLS, ids=[f"{s} {p}" for s, p in CONTROLS])
def test_the_auth_services_assertion_for_this_request_is_accepted_directly(
    stack, world, recorded, service, template
):
    """The control: the same direct request with what /verify really returns works."""
    path = world.path(template)
    headers = [("X-User-Assertion", real_assertion(stack, world.alice, "GET", path))]
    answer = send_direct(recorded, stack, service, "GET", path, headers)
    assert answer.status == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/json")


def test_a_real_assertion_dies_within_seconds(stack, world, recorded):
    path = world.path("/watchlists/{list}")
    headers = [("X-User-Assertion", real_assertion(stack, world.alice, "GET", path))]
    assert send_direct(recorded, stack, "watchlist", "GET", path, headers).status == 200
    time.sleep(ASSERTION_TTL_S + 3)
    assert send_direct(recorded, stack, "watchlist", "GET", path, headers).status == 401


@pytest.mark.parametrize("service", ["auth", "user", "watchlist", "friendswatchlist"])
@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/metrics"])
def test_health_and_metrics_need_no_identity_even_with_forged_headers(
    stack, world, recorded, service, path
):
    headers = [("X-User-Id", world.alice.user_id), ("X-User-Role", "ADMIN")]
    assert send_direct(recorded, stack, service, "GET", path, headers).status == 200


def test_a_clients_valid_looking_assertion_is_dropped_by_the_gateway(stack, world, recorded):
    """Even an assertion signed with the real key, sent by a client, never reaches a service:
    the gateway deletes every client `X-User-*` header and keeps only the auth answer."""
    auth_key = stack.env_for("auth")["WLT_ASSERTION_SIGNING_KEY"]
    path = "/auth/me"
    minted = signed_assertion(auth_key, world.alice.user_id, req=request_binding("GET", path))
    headers = [*bearer(world.bob), ("X-User-Assertion", minted), ("X-User-Id", world.alice.user_id)]
    answer = raw_request(recorded, stack.gateway_url, "GET", path, headers)
    assert answer.status == 200
    assert json.loads(answer.text)["userId"] == world.bob.user_id
    alone = raw_request(recorded, stack.gateway_url, "GET", path, [("X-User-Assertion", minted)])
    assert alone.status == 401
