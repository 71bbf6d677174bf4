"""Fixtures of the activity service's tests: its own database and topics per test, the
real broker and consumer loop, and the real user service for display names."""

from __future__ import annotations

import uuid

import pytest
import requests

from activity_service.models import db
from activity_service.worker import GROUP_ID
from tests.helpers import LiveServer, service_headers

from .support import Feeds


@pytest.fixture(scope="session")
def user_service(make_app):
    """The real user service over HTTP, one for the session."""
    server = LiveServer(make_app("user_service"))
    yield server
    server.stop()


@pytest.fixture
def make_user(user_service):
    """Factory: a profile in the user service; returns its id."""

    def make(name: str) -> uuid.UUID:
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


@pytest.fixture
def alice(make_user):
    return make_user("Alice")


@pytest.fixture
def bob(make_user):
    return make_user("Bob")


@pytest.fixture
def carol(make_user):
    return make_user("Carol")


@pytest.fixture
def activity_env(create_database, topic_prefix):
    """One isolated deployment: its own database, topic prefix and consumer group."""
    tag = uuid.uuid4().hex[:8]
    return {
        "DATABASE_URL": create_database("activity_service", f"_{tag}"),
        "KAFKA_TOPIC_PREFIX": f"{topic_prefix}{tag}.",
        "group": f"{GROUP_ID}-test-{tag}",
    }


@pytest.fixture
def app(make_app, activity_env, user_service):
    env = {k: v for k, v in activity_env.items() if k != "group"}
    app = make_app("activity_service", USER_SERVICE_URL=user_service.url, **env)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Flask test client (identity comes from test headers, as from the gateway)."""
    return app.test_client()


@pytest.fixture
def feeds(app, client, activity_env, kafka_bootstrap):
    """Publishes contract events to this test's topics and applies them with the real loop."""
    feeds = Feeds(
        app, client, kafka_bootstrap, activity_env["KAFKA_TOPIC_PREFIX"], activity_env["group"]
    )
    yield feeds
    feeds.close()
