"""Small helpers tests import: gateway identity headers, the service credential."""

from __future__ import annotations

import random
import secrets
import uuid

import requests
from requests.adapters import HTTPAdapter

SERVICE_TOKEN = "test-service-token-" + secrets.token_hex(16)
JWT_SECRET = "test-jwt-secret-" + secrets.token_hex(16)


def identity(user_id: uuid.UUID | str, role: str = "USER") -> dict[str, str]:
    """Headers the gateway adds for a signed-in user (unit tests bypass the gateway)."""
    return {"X-User-Id": str(user_id), "X-User-Role": role}


def service_headers() -> dict[str, str]:
    """Headers of a trusted internal caller."""
    return {"X-Service-Token": SERVICE_TOKEN}


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
