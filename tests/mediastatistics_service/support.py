"""Test helpers: a ledger of list entries that writes the events a list service would."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Producer

from servicekit.events import new_event
from servicekit.relay import producer_config
from servicekit.topics import MEDIA_ENTRY_CHANGED

STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
FIELD_OF = {"on_hold": "onHold"}


def entry(status: str, rating: int | None = None) -> dict[str, Any]:
    """The `before`/`after` shape of an event."""
    return {"status": status, "rating": rating}


def change_event(media_id: Any, before=None, after=None, source="watchlist", **extra) -> dict:
    """A `media.entry_changed` body (fields can be overridden or removed by tests)."""
    body = new_event(
        "media.entry_changed",
        source=source,
        listId=str(uuid.uuid4()),
        mediaId=media_id,
        before=before,
        after=after,
    )
    body.update(extra)
    return body


@dataclass
class Ledger:
    """Entries across lists of both sources, and the events their changes produce."""

    entries: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def _emit(self, key, before, after) -> None:
        source, list_id, media_id = key
        body = change_event(media_id, before, after, source=source)
        body["listId"] = list_id
        self.events.append(body)

    def add(self, media_id: int, status="added", rating=None, source="watchlist"):
        """A new entry in a fresh list; returns its key."""
        key = (source, str(uuid.uuid4()), media_id)
        self.entries[key] = entry(status, rating)
        self._emit(key, None, dict(self.entries[key]))
        return key

    def update(self, key, **changes) -> None:
        """Change status and/or rating of an entry."""
        before = dict(self.entries[key])
        self.entries[key].update(changes)
        self._emit(key, before, dict(self.entries[key]))

    def remove(self, key) -> None:
        """Delete an entry."""
        self._emit(key, self.entries.pop(key), None)

    def random_walk(self, media_ids: list[int], steps: int, seed: int = 7) -> None:
        """Many random adds, changes and removals over `media_ids`."""
        rng = random.Random(seed)
        for _ in range(steps):
            keys = list(self.entries)
            roll = rng.random()
            if roll < 0.4 or not keys:
                self.add(
                    rng.choice(media_ids),
                    rng.choice(STATUSES),
                    rng.choice([None, rng.randint(1, 10)]),
                    rng.choice(["watchlist", "friendswatchlist"]),
                )
            elif roll < 0.8:
                key = rng.choice(keys)
                if rng.random() < 0.5:
                    self.update(key, status=rng.choice(STATUSES))
                else:
                    self.update(key, rating=rng.choice([None, rng.randint(1, 10)]))
            else:
                self.remove(rng.choice(keys))

    def expected(self, media_id: int) -> dict[str, Any]:
        """The counters the API must show for `media_id`."""
        counts = {FIELD_OF.get(s, s): 0 for s in STATUSES}
        ratings = []
        for (_, _, m), value in self.entries.items():
            if m == media_id:
                counts[FIELD_OF.get(value["status"], value["status"])] += 1
                if value["rating"] is not None:
                    ratings.append(value["rating"])
        counts["total"] = sum(counts.values())
        counts["ratingCount"] = len(ratings)
        counts["ratingAverage"] = round(sum(ratings) / len(ratings), 2) if ratings else None
        return {"mediaId": media_id, **counts}

    def source_counts(self, source: str) -> dict[int, dict[str, int]]:
        """What one list service's `/internal/media-counts` would answer, by media id."""
        out: dict[int, dict[str, int]] = {}
        for (src, _, media_id), value in self.entries.items():
            if src != source:
                continue
            row = out.setdefault(
                media_id,
                {"mediaId": media_id, **{FIELD_OF.get(s, s): 0 for s in STATUSES}}
                | {"ratingCount": 0, "ratingSum": 0},
            )
            row[FIELD_OF.get(value["status"], value["status"])] += 1
            if value["rating"] is not None:
                row["ratingCount"] += 1
                row["ratingSum"] += value["rating"]
        return out


def produce(bootstrap: str, prefix: str, messages: list[Any]) -> list[tuple[int, int]]:
    """Publish event bodies (dicts) or raw values (bytes); returns (partition, offset) each."""
    producer = Producer(producer_config(bootstrap))
    positions: list[tuple[int, int] | None] = [None] * len(messages)

    def report(i):
        def on_delivery(err, msg):
            assert err is None, err
            positions[i] = (msg.partition(), msg.offset())

        return on_delivery

    for i, message in enumerate(messages):
        if isinstance(message, dict):
            key = str(message.get("mediaId", "x")).encode()
            value = json.dumps(message).encode()
        else:
            key, value = b"poison", message
        while True:
            try:
                producer.produce(
                    prefix + MEDIA_ENTRY_CHANGED, key=key, value=value, on_delivery=report(i)
                )
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(30)
    assert all(p is not None for p in positions)
    return positions  # type: ignore[return-value]


def drain(loop, expected_messages: int, timeout_s: float = 60.0) -> int:
    """Poll an in-process consumer until it has handled `expected_messages`."""
    handled, deadline = 0, time.monotonic() + timeout_s
    while handled < expected_messages:
        assert time.monotonic() < deadline, f"handled only {handled} of {expected_messages}"
        handled += loop.poll_once()
    return handled


def wait_until(predicate, timeout_s: float = 60.0, interval_s: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(interval_s)
