"""Fixtures of the friends service's tests: the real user service over HTTP, counted."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
import requests

from friends_service.models import db
from tests.helpers import LiveServer, service_headers


class CountingApp:
    """WSGI middleware that records every request reaching the wrapped app."""

    def __init__(self, app):
        self.app = app
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.paths.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)

    def calls_to(self, path: str) -> int:
        """How many requests hit `path` so far."""
        with self._lock:
            return sum(1 for p in self.paths if p == path)

    def reset(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.paths.clear()


@pytest.fixture(scope="session")
def user_service(make_app):
    """The real user service served over HTTP, wrapped in a request counter.

    One server for the session: stopping a werkzeug server waits out its 0.5 s poll,
    which per test would double this suite's runtime.
    """
    counting = CountingApp(make_app("user_service"))
    server = LiveServer(counting)
    server.counter = counting
    yield server
    server.stop()


@pytest.fixture
def make_user(user_service):
    """Factory: create a user profile in the user service; returns its id."""

    def make(name: str = "Someone") -> uuid.UUID:
        user_id = uuid.uuid4()
        response = requests.put(
            f"{user_service.url}/internal/users/{user_id}",
            json={"displayName": name},
            headers=service_headers(),
            timeout=5,
        )
        assert response.status_code == 201, response.text
        return user_id

    return make


def _dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def friends_app(make_app):
    """Factory: a friends app pointed at a given user service URL."""
    made = []

    def build(user_service_url: str):
        app = make_app("friends_service", USER_SERVICE_URL=user_service_url)
        made.append(app)
        return app

    yield build
    for app in made:
        _dispose(app)


@pytest.fixture
def app(friends_app, user_service):
    """The friends service, talking to the real user service."""
    return friends_app(user_service.url)


@pytest.fixture
def client(app):
    """Flask test client (no gateway: identity comes from test headers)."""
    return app.test_client()


@pytest.fixture
def friends_db(create_database):
    """A psycopg connection to the friends test database, autocommit."""
    with psycopg.connect(create_database("friends_service"), autocommit=True) as conn:
        yield conn
