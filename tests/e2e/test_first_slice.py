"""Sign-up to profile edit through the real Traefik, forward auth and databases."""

import base64
import json

import pytest
import requests

from tests.helpers import Api

PROBLEM = "application/problem+json"


def test_sign_up_sign_in_me_and_profile_round_trip(gateway, user):
    signin = requests.post(
        f"{gateway}/auth/signin",
        json={"email": user.email, "password": "correct horse battery"},
        timeout=10,
    )
    assert signin.status_code == 200
    token = signin.json()["accessToken"]
    me = Api(gateway, token).get("/auth/me")
    assert me.status_code == 200
    assert me.json() == {"userId": user.user_id, "email": user.email, "role": "USER"}

    profile = requests.get(f"{gateway}/users/{user.user_id}", timeout=10)
    assert profile.status_code == 200 and profile.json()["displayName"] == "Alice"
    renamed = user.patch(f"/users/{user.user_id}", json={"displayName": "Alicia"})
    assert renamed.status_code == 200
    assert (
        requests.get(f"{gateway}/users/{user.user_id}", timeout=10).json()["displayName"]
        == "Alicia"
    )


def test_protected_route_without_token_is_401_problem(gateway):
    response = requests.get(f"{gateway}/auth/me", timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    "spelling", ["X-User-Id", "x-user-id", "X.User.Id", "X_User_Id", "X~User~Id"]
)
def test_spoofed_identity_header_never_becomes_identity(gateway, user, other, spelling):
    spoof = {spelling: other.user_id, spelling.replace("Id", "Role").replace("id", "role"): "ADMIN"}
    assert requests.get(f"{gateway}/auth/me", headers=spoof, timeout=10).status_code == 401
    me = user.get("/auth/me", headers=spoof).json()
    assert me["userId"] == user.user_id and me["role"] == "USER"
    rename = user.patch(f"/users/{other.user_id}", json={"displayName": "pwned"}, headers=spoof)
    assert rename.status_code == 403
    assert (
        requests.get(f"{gateway}/users/{other.user_id}", timeout=10).json()["displayName"] == "Bob"
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def forged_tokens(token: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = {**claims, "role": "ADMIN"}
    return {
        "alg-none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(edited)}.",
        "edited-payload": f"{header}.{_b64(edited)}.{signature}",
        "wrong-key": f"{header}.{payload}.{_b64({'x': 1})}",
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", ["alg-none", "edited-payload", "wrong-key", "garbage"])
def test_forged_tokens_are_401(gateway, user, kind):
    forged = forged_tokens(user.token)[kind]
    response = Api(gateway, forged).get("/auth/me")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/internal/users",
        "/users/internal/users",
        "/INTERNAL/users",
        "/users/../internal/users",
        "/users/%2e%2e/internal/users",
        "/users/..%2finternal%2fusers",
        "/users/%2finternal",
        "/auth/%69nternal/users",
        "//internal/users",
        "/watchlists/../../internal/media-counts",
        "/health/live",
        "/metrics",
        "/verify",
    ],
)
def test_internal_and_operational_paths_are_not_routed(gateway, user, path):
    response = requests.request(
        "GET", gateway + path, headers={"Authorization": f"Bearer {user.token}"}, timeout=10
    )
    assert response.status_code in (400, 404), (path, response.status_code, response.text[:200])
    assert "displayName" not in response.text and "Traceback" not in response.text


def test_malformed_and_oversized_bodies_are_problem_documents(gateway, user):
    bad = user.patch(
        f"/users/{user.user_id}", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith(PROBLEM)
    big = user.patch(
        f"/users/{user.user_id}",
        data='{"displayName": "' + "x" * (2 * 1024 * 1024) + '"}',
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413
    wrong = user.patch(f"/users/{user.user_id}", json={"displayName": 7})
    assert wrong.status_code == 422 and "displayName" in wrong.json()["errors"]


@pytest.mark.parametrize("prefix", ["/auth", "/users"])
def test_openapi_documents_are_public(gateway, prefix):
    response = requests.get(f"{gateway}{prefix}/openapi.json", timeout=10)
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")


def test_deleted_account_token_stops_working_at_once(gateway, user):
    assert user.delete(f"/auth/users/{user.user_id}").status_code == 204
    assert user.get("/auth/me").status_code == 401
