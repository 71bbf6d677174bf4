"""Fixtures of the watchlist service's tests: the app, a signed-in caller, the outbox and topic."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable

import pytest

from servicekit.contract import MEDIA_ENTRY_CHANGED
from tests.watchlist_service.support import Caller, publish_all, read_topic


@pytest.fixture
def app(make_app):
    """The watchlist service on its own test database."""
    return make_app("watchlist_service")


@pytest.fixture
def client(app):
    """Flask test client (no gateway: identity comes from test headers)."""
    return app.test_client()


@pytest.fixture
def caller(client) -> Caller:
    """A fresh signed-in user."""
    return Caller(client)


@pytest.fixture
def stranger(client) -> Caller:
    """Another signed-in user."""
    return Caller(client)


_media_ids = itertools.count(secrets.randbelow(10**9) * 1000 + 10**12)


@pytest.fixture
def media_id() -> Callable[[], int]:
    """Factory of media ids no other test of this session uses."""
    return lambda: next(_media_ids)


@pytest.fixture
def broker_events(app, kafka_bootstrap, topic_prefix) -> Callable[[str], list[dict]]:
    """Publish the outbox, then return the `media-entry-changed` events of one list."""

    def events_of(list_id: str) -> list[dict]:
        publish_all(app, kafka_bootstrap, topic_prefix)
        events = read_topic(kafka_bootstrap, topic_prefix + MEDIA_ENTRY_CHANGED)
        return [e for e in events if e.get("listId") == list_id]

    return events_of
