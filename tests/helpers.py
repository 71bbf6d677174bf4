"""Helpers tests import: identity headers, service credentials, test keys, live servers.

Fixtures live in conftest.py; what a test module imports lives here.
"""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

import jwt
import requests
from requests.adapters import HTTPAdapter

from devstack.ports import free_port
from devstack.traefik import GatewayLimits
from servicekit import keys
from servicekit.assertions import CredentialSigner, CredentialVerifier, InvalidAssertion

# The keys of the test session: one per purpose, as in production.
TOKEN_SIGNING_KEY = keys.generate()
ASSERTION_SIGNING_KEY = keys.generate()
SERVICE_KEYS = {name: keys.generate() for name in keys.SERVICE_NAMES}
KEY_ENV = {
    "WLT_TOKEN_SIGNING_KEY": TOKEN_SIGNING_KEY,
    "WLT_ASSERTION_SIGNING_KEY": ASSERTION_SIGNING_KEY,
    "WLT_ASSERTION_PUBLIC_KEY": keys.public_of(ASSERTION_SIGNING_KEY),
    "WLT_SERVICE_PUBLIC_KEYS": keys.key_table_text(
        {name: keys.public_of(key) for name, key in SERVICE_KEYS.items()}
    ),
}


def service_key_env(name: str) -> dict[str, str]:
    """The credential key variable of service `name` (e.g. "user")."""
    return {"WLT_SERVICE_KEY": SERVICE_KEYS[name]}


def assertion(user_id: uuid.UUID | str, role: str = "USER", **changes) -> str:
    """An identity assertion as /verify makes them, not bound to one request."""
    now = int(time.time())
    claims = {
        "iss": "watchlist-tracker-auth",
        "aud": "internal",
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + 10,
        **changes,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, keys.private_key(ASSERTION_SIGNING_KEY), algorithm="EdDSA")


def identity(user_id: uuid.UUID | str, role: str = "USER") -> dict[str, str]:
    """Headers the gateway adds for a signed-in user (unit tests bypass the gateway)."""
    return {
        "X-User-Id": str(user_id),
        "X-User-Role": role,
        "X-User-Assertion": assertion(user_id, role),
    }


def service_headers(caller: str = "auth", callee: str = "user") -> dict[str, str]:
    """Headers of service `caller` calling an internal endpoint of `callee`."""
    signer = CredentialSigner(caller, keys.private_key(SERVICE_KEYS[caller]))
    return {"X-Service-Token": signer.for_service(callee)}


def credential_caller(token: str, callee: str) -> str | None:
    """Which service made this credential for `callee` (None: nobody we know)."""
    public = {name: keys.private_key(key).public_key() for name, key in SERVICE_KEYS.items()}
    try:
        return CredentialVerifier(callee, public).caller(token)
    except InvalidAssertion:
        return None


def assert_problem(response, status: int) -> dict:
    """Assert an RFC 9457 problem document with this status; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["type"] and "detail" in body
    return body


class Api:
    """A client of the public API through the gateway, signed in as one user (or none)."""

    def __init__(self, gateway: str, token: str | None = None, user_id: str | None = None):
        self.gateway = gateway
        self.token = token
        self.user_id = user_id
        self.email: str | None = None
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send a request; the Bearer token is added unless headers already carry one."""
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.session.request(
            method, self.gateway + path, headers=headers, timeout=10, **kwargs
        )

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def all_media(self, list_path: str) -> list[dict]:
        """Every entry of a list, page after page of `GET <list_path>/media`."""
        items: list[dict] = []
        cursor = None
        while True:
            query = "?limit=200" + (f"&cursor={cursor}" if cursor else "")
            response = self.get(f"{list_path}/media{query}")
            assert response.status_code == 200, (list_path, response.status_code, response.text)
            body = response.json()
            items += body["items"]
            cursor = body["nextCursor"]
            if cursor is None:
                return items


PASSWORD = "correct horse battery"


def sign_up(gateway: str, name: str = "Tester") -> Api:
    """A new account through the gateway, signed in."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(
        f"{gateway}/auth/signup",
        json={"email": email, "password": PASSWORD, "displayName": name},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    api = Api(gateway, body["accessToken"], body["userId"])
    api.email = email
    return api


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a given loopback address, so the gateway sees another client."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kwargs)


def client_from(source: str) -> requests.Session:
    """A requests session whose connections come from `source` (e.g. 127.23.4.5)."""
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter(source))
    return session


def another_loopback_address() -> str:
    """A random 127.x.y.z other than 127.0.0.1: a client no other test shares."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


# The suites send every request from 127.0.0.1, far faster than one person would: the test
# stacks keep the deployed mechanism with roomier numbers (tests/security checks both).
TEST_GATEWAY_LIMITS = GatewayLimits(per_second=2000, burst=4000, credentials_per_minute=600)


ROOT = Path(__file__).resolve().parent.parent


class LiveServer:
    """A Flask app served over real HTTP on a free port, in a thread of the test process."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        import threading

        # a short poll interval: stopping a server is waited for at every test's teardown
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; the port then refuses connections."""
        self._server.shutdown()
        self._server.server_close()
