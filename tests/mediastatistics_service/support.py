"""Test helpers: a ledger of list entries that writes the events a list service would."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Producer

from servicekit.contract import MEDIA_ENTRY_CHANGED
from servicekit.events import new_event
from servicekit.relay import producer_config

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


def _for(state, person):
    return None if state is None else {**state, "userId": person}


@dataclass
class Ledger:
    """Entries across lists of both sources, the people they count for, and their events.

    `expected` follows docs/statistics.md: a person counts once per media and status,
    and once with their latest rating while any of their entries carries a rating.
    """

    entries: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # list id -> person
    latest: dict[tuple[str, int], int] = field(default_factory=dict)
    changed: dict[tuple[str, str, int], int] = field(default_factory=dict)  # entry -> event no.
    events: list[dict[str, Any]] = field(default_factory=list)

    def _emit(self, key, before, after, old_owner=None) -> None:
        source, list_id, media_id = key
        owner = self.owners[list_id]
        body = change_event(
            media_id, _for(before, old_owner or owner), _for(after, owner), source=source
        )
        body["listId"], body["actorId"] = list_id, owner
        self.events.append(body)
        self.changed[key] = len(self.events)
        if after is not None and after["rating"] is not None:
            self.latest[(owner, media_id)] = after["rating"]

    def add(self, media_id: int, status="added", rating=None, source="watchlist", person=None):
        """A new entry in a fresh list (of a new person unless given); returns its key."""
        key = (source, str(uuid.uuid4()), media_id)
        self.owners[key[1]] = person or str(uuid.uuid4())
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

    def hand_over(self, list_id: str, new_owner: str) -> None:
        """A shared list passes to another person: one event per entry moves its count."""
        old_owner, self.owners[list_id] = self.owners[list_id], new_owner
        for key, value in self.entries.items():
            if key[1] == list_id:
                self._emit(key, dict(value), dict(value), old_owner=old_owner)

    def random_walk(self, media_ids: list[int], steps: int, seed: int = 7) -> None:
        """Many random adds, changes and removals over `media_ids`, by a few people."""
        rng = random.Random(seed)
        people = [str(uuid.uuid4()) for _ in range(4)]
        # the entry keys as a list kept in step (swap-remove), so a step costs O(1):
        # a copy of the dict's keys per step made a million-step walk quadratic
        keys = list(self.entries)
        for _ in range(steps):
            roll = rng.random()
            if roll < 0.4 or not keys:
                keys.append(
                    self.add(
                        rng.choice(media_ids),
                        rng.choice(STATUSES),
                        rng.choice([None, rng.randint(1, 10)]),
                        rng.choice(["watchlist", "friendswatchlist"]),
                        person=rng.choice(people),
                    )
                )
            elif roll < 0.8:
                key = rng.choice(keys)
                if rng.random() < 0.5:
                    self.update(key, status=rng.choice(STATUSES))
                else:
                    self.update(key, rating=rng.choice([None, rng.randint(1, 10)]))
            else:
                index = rng.randrange(len(keys))
                keys[index], keys[-1] = keys[-1], keys[index]
                self.remove(keys.pop())

    def people_of(self, media_id: int, source: str | None = None) -> dict[str, dict]:
        """Per person: entries per status, and `[rating, changed]` per rated entry, newest first."""
        out: dict[str, dict] = {}
        for key, value in self.entries.items():
            src, list_id, m = key
            if m != media_id or (source and src != source):
                continue
            person = out.setdefault(
                self.owners[list_id], {"statuses": dict.fromkeys(STATUSES, 0), "ratings": []}
            )
            person["statuses"][value["status"]] += 1
            if value["rating"] is not None:
                person["ratings"].append([value["rating"], float(self.changed[key])])
        for person in out.values():
            person["ratings"].sort(key=lambda pair: -pair[1])
        return out

    def person_counts(self, source: str) -> dict[int, dict[str, Any]]:
        """What one list service's `/internal/person-counts` would answer, by media id."""
        media = sorted({m for (src, _, m) in self.entries if src == source})
        return {
            m: {
                "mediaId": m,
                "people": [
                    {
                        "userId": person,
                        **{FIELD_OF.get(s, s): n for s, n in held["statuses"].items()},
                        "ratings": held["ratings"],
                    }
                    for person, held in sorted(self.people_of(m, source).items())
                ],
            }
            for m in media
        }

    def expected(self, media_id: int) -> dict[str, Any]:
        """The counters the API must show for `media_id`."""
        counts = {FIELD_OF.get(s, s): 0 for s in STATUSES}
        ratings = []
        for person, held in self.people_of(media_id).items():
            for status, n in held["statuses"].items():
                counts[FIELD_OF.get(status, status)] += n > 0
            if held["ratings"]:
                ratings.append(self.latest[(person, media_id)])
        counts["total"] = sum(counts.values())
        counts["ratingCount"] = len(ratings)
        counts["ratingAverage"] = round(sum(ratings) / len(ratings), 2) if ratings else None
        counts["ratingDistribution"] = {str(r): ratings.count(r) for r in range(1, 11)}
        return {"mediaType": "movie", "mediaId": media_id, **counts}


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
