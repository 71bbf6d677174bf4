"""Fixtures of the auth service's tests: the real user service over HTTP, sign-up helpers."""

from __future__ import annotations

import pytest

from tests.auth_service.support import PASSWORD, random_ip, unique_email
from tests.helpers import LiveServer


class AuthActions:
    """Sign up, sign in and pass the gateway the way a client would."""

    def __init__(self, client):
        self.client = client

    def signup(self, email: str | None = None, password: str = PASSWORD, name: str = "Tester"):
        """Sign up and return the 201 body."""
        response = self.client.post(
            "/auth/signup",
            json={"email": email or unique_email(), "password": password, "displayName": name},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def signin(self, email: str, password: str = PASSWORD, ip: str | None = None):
        """The sign-in response, from a client address of its own unless given."""
        return self.client.post(
            "/auth/signin",
            json={"email": email, "password": password},
            headers={"X-Forwarded-For": ip or random_ip()},
        )

    def verify(self, method: str, uri: str, token: str | None = None, **headers: str):
        """What the gateway's forward-auth call gets for this request."""
        headers = {"X-Forwarded-Method": method, "X-Forwarded-Uri": uri, **headers}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.get("/verify", headers=headers)

    def through_gateway(self, method: str, uri: str, token: str | None, **kwargs):
        """Verify like Traefik, then call the route with the identity headers it returned."""
        check = self.verify(method, uri, token)
        if check.status_code != 200:
            return check
        identity = {k: v for k, v in check.headers.items() if k.startswith("X-User-")}
        return self.client.open(uri, method=method, headers=identity, **kwargs)


@pytest.fixture(scope="session")
def user_service(make_app):
    """The real user service over HTTP, one for the session (stopping one takes 0.5 s)."""
    server = LiveServer(make_app("user_service"))
    yield server
    server.stop()


@pytest.fixture
def app(make_app, user_service):
    """The auth service on its test database, talking to the live user service."""
    return make_app("auth_service", USER_SERVICE_URL=user_service.url)


@pytest.fixture
def client(app):
    """Flask test client (no gateway: tests call /verify themselves)."""
    return app.test_client()


@pytest.fixture
def auth(client) -> AuthActions:
    """Sign-up, sign-in and gateway helpers."""
    return AuthActions(client)
