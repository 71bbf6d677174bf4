"""Helpers the watchlist service tests import; fixtures stay in conftest.py."""

from __future__ import annotations

import json
import secrets
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from sqlalchemy import func, select

from servicekit.relay import OutboxRelay, producer_config
from tests.helpers import identity
from watchlist_service.models import db, outbox


class Caller:
    """A signed-in user of the test client, with shortcuts for the routes (AuthActions)."""

    def __init__(self, client, user_id: uuid.UUID | None = None):
        self.client = client
        self.user_id = user_id or uuid.uuid4()
        self.headers = identity(self.user_id)

    def request(self, method: str, path: str, **kwargs):
        """Any request with this caller's identity."""
        return self.client.open(path, method=method, headers=self.headers, **kwargs)

    def new_list(self, name: str = "Films") -> str:
        """Create a list; returns its id."""
        response = self.request("POST", "/watchlists", json={"name": name})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["listId"]

    def add(self, list_id: str, media_id: int, **fields) -> dict:
        """Add an entry; returns it."""
        body = {"mediaId": media_id, **fields}
        response = self.request("POST", f"/watchlists/{list_id}/media", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def show(self, list_id: str) -> dict:
        """The list with its media."""
        response = self.request("GET", f"/watchlists/{list_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def outbox_count(app) -> int:
    """How many rows the service's outbox holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(outbox))


def publish_all(app, bootstrap: str, prefix: str, **producer_overrides) -> int:
    """Drain the app's outbox to the broker with a real relay; returns rows published."""
    producer = Producer(producer_config(bootstrap, **producer_overrides))
    with app.app_context():
        relay = OutboxRelay(db.engine, outbox, producer, topic_prefix=prefix)
        total = 0
        while sent := relay.publish_batch():
            total += sent
    assert relay.last_failures == 0
    return total


def read_topic(bootstrap: str, topic: str, timeout_s: float = 20.0) -> list[dict]:
    """Every event on a topic up to its current end, decoded, in partition order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "wl-test-" + secrets.token_hex(4),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {}
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        events, deadline = [], time.monotonic() + timeout_s
        while ends and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            events.append({"key": msg.key().decode(), **json.loads(msg.value())})
            if msg.offset() + 1 >= ends.get(msg.partition(), 0):
                ends.pop(msg.partition(), None)
        assert not ends, f"topic {topic} not read to its end in {timeout_s}s"
        return events
    finally:
        consumer.close()
