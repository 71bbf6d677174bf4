"""One secret per purpose, held only where needed: each service calls internal endpoints
with a credential of its own that only the endpoints needing it accept, and no service
but auth holds a key that signs users' tokens or identity assertions.

Every request here goes straight to a service's port, as a compromised service (or any
process on the services' network) would send it."""

from __future__ import annotations

import uuid

import jwt
import pytest
import requests

from devstack.services import SERVICES
from servicekit import keys
from servicekit.assertions import CredentialSigner

from .support import assert_problem

NAMES = [spec.name for spec in SERVICES]

# (callee, method, path template, JSON body, the callers that need it)
INTERNAL = [
    ("user", "PUT", "/internal/users/{new}", {"displayName": "Made"}, {"auth"}),
    ("user", "DELETE", "/internal/users/{new}", None, {"auth"}),
    ("user", "GET", "/internal/users?ids={alice}", None,
     {"activity", "friends", "friendswatchlist"}),
    ("watchlist", "GET", "/internal/media-counts?after=0&limit=5", None, {"mediastatistics"}),
    ("friendswatchlist", "GET", "/internal/media-counts?after=0&limit=5", None,
     {"mediastatistics"}),
    ("mediastatistics", "POST", "/internal/reconcile", None, {"mediastatistics"}),
    ("friends", "GET", "/internal/friendships/{alice}/{new}", None,
     {"friendswatchlist", "mediastatistics", "watchlist"}),
    ("watchlist", "GET", "/internal/common?userId={alice}&friendId={new}&status=added", None,
     {"friendswatchlist"}),
]  # fmt: skip
CASES = [
    (callee, method, path, body, caller, caller in accepted)
    for callee, method, path, body, accepted in INTERNAL
    for caller in NAMES
    # reconcile is slow (it settles for seconds): only its refusals are run
    if not (path == "/internal/reconcile" and caller in accepted)
]
CASE_IDS = [f"{c[4]} -> {c[0]} {c[1]} {c[2].split('?')[0]}" for c in CASES]


def credential(stack, caller: str, callee: str) -> str:
    """What service `caller` sends when it calls `callee` (made with its real key)."""
    key = keys.private_key(stack.env_for(caller)["WLT_SERVICE_KEY"])
    return CredentialSigner(caller, key).for_service(callee)


def call(stack, world, callee, method, template, body, token: str | None):
    path = template.format(new=uuid.uuid4(), alice=world.alice.user_id)
    headers = {} if token is None else {"X-Service-Token": token}
    return requests.request(
        method, stack.service_url(callee) + path, json=body, headers=headers, timeout=10
    )


@pytest.mark.parametrize("callee,method,template,body,caller,accepted", CASES, ids=CASE_IDS)
def test_each_internal_endpoint_accepts_only_the_callers_that_need_it(
    stack, world, callee, method, template, body, caller, accepted
):
    token = credential(stack, caller, callee)
    response = call(stack, world, callee, method, template, body, token)
    if accepted:
        assert response.status_code in (200, 201, 204), response.text[:300]
    else:
        assert_problem(response, 403)


@pytest.mark.parametrize(
    "kind", ["none", "a static token", "for another service", "another key", "expired"]
)
@pytest.mark.parametrize("callee,method,template,body,accepted", INTERNAL[:4])
def test_a_credential_that_is_not_the_callers_own_for_this_service_is_refused(
    stack, world, callee, method, template, body, accepted, kind
):
    caller = sorted(accepted)[0]
    other = next(name for name in NAMES if name != callee)
    token = {
        "none": None,
        "a static token": "test-service-token",
        "for another service": credential(stack, caller, other),
        "another key": CredentialSigner(caller, keys.private_key(keys.generate())).for_service(
            callee
        ),
        "expired": CredentialSigner(
            caller, keys.private_key(stack.env_for(caller)["WLT_SERVICE_KEY"]), ttl_s=-10
        ).for_service(callee),
    }[kind]
    assert_problem(call(stack, world, callee, method, template, body, token), 403)


def _key_candidates(env: dict[str, str]) -> list[str]:
    """Every value of a process environment that could be a secret."""
    return [value for value in env.values() if len(value) >= 16]


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("name", [n for n in NAMES if n != "auth"])
def test_no_service_but_auth_holds_a_key_that_mints_user_tokens_or_assertions(
    stack, world, recorded, name
):
    """A compromised service tries every value of its environment as a signing key."""
    env = stack.env_for(name)
    assert "WLT_TOKEN_SIGNING_KEY" not in env and "WLT_ASSERTION_SIGNING_KEY" not in env
    victim = world.alice.user_id
    claims = {"sub": victim, "role": "ADMIN", "iss": "watchlist-tracker-auth", "ver": 0}
    minted = []
    for value in _key_candidates(env):
        token_claims = {**claims, "aud": "watchlist-tracker", "exp": 2**31 - 1, "iat": 1}
        assertion_claims = {**claims, "aud": "internal", "exp": 2**31 - 1, "iat": 1}
        minted += [jwt.encode(token_claims, value, algorithm="HS256")]
        minted += [jwt.encode(assertion_claims, value, algorithm="HS256")]
        try:
            key = keys.private_key(value)
        except keys.InvalidKey:
            continue
        minted += [jwt.encode(token_claims, key, algorithm="EdDSA")]
        minted += [jwt.encode(assertion_claims, key, algorithm="EdDSA")]
    assert minted
    for forged in minted:
        through_gateway = requests.get(
            stack.gateway_url + "/auth/me",
            headers={"Authorization": f"Bearer {forged}"},
            timeout=10,
        )
        assert through_gateway.status_code == 401
        direct = requests.get(
            stack.service_url("auth") + "/auth/me",
            headers={"X-User-Assertion": forged, "X-User-Id": victim, "X-User-Role": "ADMIN"},
            timeout=10,
        )
        assert direct.status_code == 401


def test_each_service_holds_only_its_own_credential_key(stack):
    own = {name: stack.env_for(name)["WLT_SERVICE_KEY"] for name in NAMES}
    assert len(set(own.values())) == len(NAMES)
    for name in NAMES:
        values = set(stack.env_for(name).values())
        assert not {key for other, key in own.items() if other != name} & values, name
