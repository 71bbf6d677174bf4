"""CORS at the real gateway: allowed origins get answers a browser accepts, others none."""

from __future__ import annotations

import pytest
import requests

from devstack.traefik import CORS_EXPOSED_HEADERS, DEV_CORS_ORIGINS
from tests.helpers import sign_up

ALLOWED = DEV_CORS_ORIGINS[0]
REFUSED = "https://evil.example"


def preflight(url: str, origin: str, method: str = "PATCH") -> requests.Response:
    """What a browser sends before a cross-origin call with a token and a JSON body."""
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type,if-match",
        },
        timeout=10,
    )


def test_the_test_stack_allows_the_development_origins(stack):
    assert stack.cors_origins == DEV_CORS_ORIGINS


@pytest.mark.parametrize("path", ["/watchlists", "/friends/requests", "/auth/signin"])
def test_preflight_from_an_allowed_origin_is_answered_without_a_token(stack, path):
    answer = preflight(f"{stack.gateway_url}{path}", ALLOWED)

    # forward auth would have refused a request without a token: the gateway answered it
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert "PATCH" in answer.headers["Access-Control-Allow-Methods"].split(",")
    allowed = {h.lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "idempotency-key"} <= allowed
    assert "WWW-Authenticate" not in answer.headers


def test_preflight_from_a_refused_origin_gets_no_permission(stack):
    answer = preflight(f"{stack.gateway_url}/watchlists", REFUSED)

    assert "Access-Control-Allow-Origin" not in answer.headers


def test_credentialed_request_from_an_allowed_origin_may_read_the_answer_and_its_headers(stack):
    user = sign_up(stack.gateway_url, "Cora")

    answer = user.get("/watchlists", headers={"Origin": ALLOWED})

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    exposed = {h.lower() for h in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {h.lower() for h in CORS_EXPOSED_HEADERS} <= exposed
    assert {"x-request-id", "retry-after", "etag", "ratelimit", "ratelimit-policy"} <= exposed
    assert "Origin" in answer.headers.get("Vary", "")


def test_credentialed_request_from_a_refused_origin_is_not_readable_by_its_page(stack):
    user = sign_up(stack.gateway_url, "Dora")

    answer = user.get("/watchlists", headers={"Origin": REFUSED})

    # the gateway still serves it (CORS binds browsers, not servers) but grants nothing
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_refused_token_still_carries_cors_headers_so_the_page_can_see_the_401(stack):
    answer = requests.get(
        f"{stack.gateway_url}/watchlists",
        headers={"Origin": ALLOWED, "Authorization": "Bearer not-a-token"},
        timeout=10,
    )

    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
