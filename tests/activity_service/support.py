"""Test helpers: people doing things on lists, as the list and friends services announce it.

Every event is made by the contract's own builders (servicekit/contract.py), the code the
producing services run, and goes through the real broker to the activity worker's loop.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from activity_service.worker import consumer_part
from servicekit.contract import (
    ENDED,
    FRIENDS,
    TOPICS,
    entry_state,
    friendship_changed,
    media_entry_changed,
    user_deleted,
)
from servicekit.relay import producer_config
from tests.helpers import identity


def _create_topics(bootstrap: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wanted = [NewTopic(prefix + topic, num_partitions=3, replication_factor=1) for topic in TOPICS]
    for future in admin.create_topics(wanted).values():
        future.result(timeout=30)


class Feeds:
    """Publish events of people, lists and friendships; apply them; read the answers."""

    def __init__(self, app, client, bootstrap: str, prefix: str, group: str):
        self.app, self.client, self.prefix = app, client, prefix
        self.producer = Producer(producer_config(bootstrap))
        self.published = 0
        self.sent: list[dict[str, Any]] = []  # every outbox row published, in order
        _create_topics(bootstrap, prefix)  # so the loop's subscription finds them at once
        self.loop = consumer_part(group).build(app)  # the worker's own loop
        self.handled = 0

    def close(self) -> None:
        self.loop.close()
        self.producer.flush(5)
        del self.producer  # its threads go with the last reference

    # --- publishing -------------------------------------------------------------------
    def publish(self, *rows: dict[str, Any]) -> None:
        """Outbox rows (`topic`, `key`, `payload`) as a relay publishes them."""
        for row in rows:
            self.producer.produce(
                self.prefix + row["topic"],
                key=row["key"].encode(),
                value=json.dumps(row["payload"]).encode(),
            )
            self.published += 1
            self.sent.append(row)
        assert self.producer.flush(10) == 0

    def raw(self, topic: str, value: bytes, key: bytes = b"x") -> None:
        """Anything at all on a topic (a forged or broken event)."""
        self.producer.produce(self.prefix + topic, key=key, value=value)
        self.published += 1
        assert self.producer.flush(10) == 0

    def apply(self, timeout_s: float = 60.0) -> None:
        """Poll the worker's loop until every published event is handled."""
        deadline = time.monotonic() + timeout_s
        while self.handled < self.published:
            assert time.monotonic() < deadline, f"{self.handled} of {self.published} handled"
            self.handled += self.loop.poll_once()

    def befriend(self, a: uuid.UUID, b: uuid.UUID) -> None:
        self.publish(friendship_changed(user_ids=(a, b), state=FRIENDS, actor_id=b))

    def unfriend(self, a: uuid.UUID, b: uuid.UUID) -> None:
        self.publish(friendship_changed(user_ids=(a, b), state=ENDED, actor_id=a))

    def delete_account(self, user: uuid.UUID) -> None:
        self.publish(user_deleted(user_id=user))

    # --- reading ----------------------------------------------------------------------
    def feed(self, reader: uuid.UUID, **params) -> dict[str, Any]:
        response = self.client.get("/activity", query_string=params, headers=identity(reader))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def of(self, person: uuid.UUID, reader: uuid.UUID | None = None, **params) -> dict[str, Any]:
        headers = identity(reader) if reader else {}
        response = self.client.get(
            f"/users/{person}/activity", query_string=params, headers=headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()


class PersonalList:
    """One person's personal list, announcing its changes as the watchlist service does."""

    def __init__(self, feeds: Feeds, owner: uuid.UUID, visibility: str = "friends"):
        self.feeds, self.owner, self.visibility = feeds, owner, visibility
        self.id = uuid.uuid4()
        self.entries: dict[tuple[str, int], dict[str, Any]] = {}

    def _emit(self, media_type, media_id, before, after, visibilities=None) -> None:
        old, new = visibilities or (self.visibility, self.visibility)
        self.feeds.publish(
            media_entry_changed(
                source="watchlist",
                list_id=self.id,
                media_id=media_id,
                media_type=media_type,
                actor_id=self.owner,
                before=before,
                after=after,
                before_user_id=self.owner if before else None,
                after_user_id=self.owner,
                before_visibility=old if before else None,
                after_visibility=new,
            )
        )

    def add(self, media_id: int, status="added", rating=None, media_type="movie") -> None:
        state = entry_state(status, rating, 0)
        self.entries[(media_type, media_id)] = state
        self._emit(media_type, media_id, None, state)

    def change(self, media_id: int, media_type="movie", **changes) -> None:
        before = self.entries[(media_type, media_id)]
        current = {"status": before["status"], "rating": before["rating"], **changes}
        after = entry_state(current["status"], current["rating"], before["timesWatched"])
        self.entries[(media_type, media_id)] = after
        self._emit(media_type, media_id, before, after)

    def remove(self, media_id: int, media_type="movie") -> None:
        before = self.entries.pop((media_type, media_id))
        self._emit(media_type, media_id, before, None)

    def make(self, visibility: str) -> None:
        """Change the list's visibility: one event per entry, sides differing in it only."""
        old, self.visibility = self.visibility, visibility
        for (media_type, media_id), state in self.entries.items():
            self._emit(media_type, media_id, state, state, (old, visibility))
