"""Headers an API client relies on: nosniff on every answer, no software banners, and
CORS that grants a foreign web origin nothing.

What the gateway does with CORS (documented here, asserted below): it has no CORS
middleware, so it never sends Access-Control-Allow-* headers; a preflight `OPTIONS` is
a non-public method to forward auth and is answered 401 (problem document), so a
browser on another origin may neither read answers nor send credentialed requests.
"""

from __future__ import annotations

import uuid

import pytest
import requests

EVIL = "https://evil.example"


def answers(gateway: str, world) -> dict[str, requests.Response]:
    """One answer of every origin: service success, service problems, forward auth,
    the gateway's own not-found."""
    alice = world.alice
    return {
        "service 200": alice.get(world.path("/watchlists/{list}")),
        "public 200": requests.get(world.path(f"{gateway}/users/{{alice}}"), timeout=10),
        "service 404 problem": alice.get(f"/watchlists/{uuid.uuid4()}"),
        "service 422 problem": alice.post("/watchlists", json={"name": 7}),
        "forward-auth 401": requests.get(f"{gateway}/auth/me", timeout=10),
        "gateway 404": requests.get(f"{gateway}/no-such-prefix", timeout=10),
        "gateway 404 for /internal": alice.get("/users/internal/users"),
    }


KINDS = [
    "service 200",
    "public 200",
    "service 404 problem",
    "service 422 problem",
    "forward-auth 401",
    "gateway 404",
    "gateway 404 for /internal",
]


@pytest.fixture(scope="module")
def sample(gateway, world) -> dict[str, requests.Response]:
    return answers(gateway, world)


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_says_nosniff(sample, kind):
    assert sample[kind].headers.get("X-Content-Type-Options") == "nosniff", dict(
        sample[kind].headers
    )


@pytest.mark.parametrize("kind", KINDS)
def test_no_answer_names_the_server_software(sample, kind):
    server = sample[kind].headers.get("Server", "").lower()
    for software in ("gunicorn", "traefik", "werkzeug", "python", "flask"):
        assert software not in server, (kind, server)


@pytest.mark.parametrize("kind", ["gateway 404", "gateway 404 for /internal"])
def test_the_gateways_own_errors_are_problem_documents(sample, kind):
    """The contract: every error is an RFC 9457 problem document."""
    response = sample[kind]
    assert response.headers.get("Content-Type", "").startswith("application/problem+json")
    assert response.json()["status"] == 404


PREFLIGHTS = ["/auth/signin", "/auth/me", "/watchlists", "/users/{alice}", "/mediastatistics/1"]


@pytest.mark.parametrize("path", PREFLIGHTS)
def test_a_preflight_from_a_foreign_origin_grants_nothing(gateway, world, path):
    response = requests.options(
        gateway + world.path(path),
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    # The gateway answers every preflight itself (no service, no forward auth behind it);
    # without Access-Control-Allow-Origin naming the origin a browser sends nothing more.
    assert response.status_code == 200 and response.content == b""
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("path", ["/auth/me", "/watchlists", "/users/{alice}"])
def test_a_foreign_origins_request_gets_no_cors_grant(world, path):
    response = world.alice.get(world.path(path), headers={"Origin": EVIL})
    assert response.status_code == 200
    # Traefik still sends Allow-Credentials and Expose-Headers, which grant nothing alone
    assert "Access-Control-Allow-Origin" not in response.headers
