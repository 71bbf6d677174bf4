"""Fixtures of the media statistics service's tests: a fresh database and topic per test."""

from __future__ import annotations

import uuid

import pytest

from mediastatistics_service.worker import build_consumer


@pytest.fixture
def stats_env(create_database, topic_prefix):
    """Settings of one isolated deployment: its own database, topic prefix and group."""
    tag = uuid.uuid4().hex[:8]
    return {
        "DATABASE_URL": create_database("mediastatistics_service", f"_{tag}"),
        "KAFKA_TOPIC_PREFIX": f"{topic_prefix}{tag}.",
        "WLT_STATS_GROUP_ID": f"stats-test-{tag}",
        "WLT_RECONCILE_SETTLE_S": "0.2",
    }


@pytest.fixture
def app(make_app, stats_env):
    """The media statistics service on a fresh database, reading a fresh topic."""
    return make_app("mediastatistics_service", **stats_env)


@pytest.fixture
def client(app):
    """Flask test client (these routes are public: no identity needed)."""
    return app.test_client()


@pytest.fixture
def consumer(app):
    """The service's own consumer loop, in-process, polled by the test."""
    loop = build_consumer(app)
    yield loop
    loop.close()


@pytest.fixture
def prefix(stats_env) -> str:
    """Topic prefix of this test's deployment."""
    return stats_env["KAFKA_TOPIC_PREFIX"]
