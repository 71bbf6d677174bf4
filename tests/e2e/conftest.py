"""The whole system as `make run` starts it, on free ports, for end-to-end tests.

One stack per test session: a private PostgreSQL, the session's Kafka broker (under a
topic prefix of its own), every service and worker under the supervisor, and Traefik.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from devstack.ports import free_port_base
from devstack.stack import LocalStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory, kafka_bootstrap, topic_prefix):
    """A running LocalStack; tests reach it through `stack.gateway_url`."""
    local = LocalStack(
        tmp_path_factory.mktemp("stack"),
        port_base=free_port_base(),
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix + "e2e.",
        gunicorn_workers=1,
        log=lambda *args, **kwargs: None,
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def gateway(stack) -> str:
    """Base URL of the public entry point."""
    return stack.gateway_url


class Api:
    """A client of the public API, signed in as one user."""

    def __init__(self, gateway: str, token: str | None = None, user_id: str | None = None):
        self.gateway = gateway
        self.token = token
        self.user_id = user_id
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
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


def sign_up(gateway: str, name: str = "Tester") -> Api:
    """A new account, signed in."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(
        f"{gateway}/auth/signup",
        json={"email": email, "password": "correct horse battery", "displayName": name},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    api = Api(gateway, body["accessToken"], body["userId"])
    api.email = email
    return api


@pytest.fixture
def user(gateway) -> Api:
    """A freshly signed-up user."""
    return sign_up(gateway, "Alice")


@pytest.fixture
def other(gateway) -> Api:
    """A second, unrelated user."""
    return sign_up(gateway, "Bob")
