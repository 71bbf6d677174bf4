"""Applying `media-entry-changed` events to the counters, a whole poll at a time.

The kit has already claimed each event id in this transaction, so the handler only
sees fresh events. Per media it locks the row, replays that media's events in order
against the locked values (refusing any event that would take a counter below
zero), and writes the net change of the whole batch with one SQL increment per media.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger, DateTime

from servicekit.consumer import Event, PoisonEvent

from .models import COUNTER_COLUMNS, STATUS_COLUMNS
from .services import MAX_MEDIA_ID

EVENT_TYPE = "media.entry_changed"
SOURCES = ("watchlist", "friendswatchlist")
# Consumers hold it shared per batch; reconciliation takes it exclusively to write.
STATS_LOCK_ID = 0x5747A75

Delta = tuple[int, ...]  # one number per COUNTER_COLUMNS entry
_ZERO: Delta = (0,) * len(COUNTER_COLUMNS)


@dataclass(frozen=True)
class Change:
    """What one valid event does to its media's counters."""

    media_id: int
    delta: Delta
    occurred_at: datetime


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _side(body: dict[str, Any], name: str, sign: int) -> Delta:
    entry = body[name]
    if entry is None:
        return _ZERO
    if not isinstance(entry, dict) or "status" not in entry or "rating" not in entry:
        raise PoisonEvent(f"{name} is not null or an object with status and rating")
    status, rating = entry["status"], entry["rating"]
    if status not in STATUS_COLUMNS:
        raise PoisonEvent(f"{name}.status is not one of {', '.join(STATUS_COLUMNS)}")
    if rating is not None and not (_is_int(rating) and 1 <= rating <= 10):
        raise PoisonEvent(f"{name}.rating is not null or an integer 1 to 10")
    delta = [sign if column == status else 0 for column in STATUS_COLUMNS]
    delta += [sign, sign * rating] if rating is not None else [0, 0]
    return tuple(delta)


def parse_change(body: dict[str, Any]) -> Change:
    """The effect of one event; PoisonEvent when it is not a valid `media.entry_changed`."""
    if body.get("type") != EVENT_TYPE:
        raise PoisonEvent(f"type is not {EVENT_TYPE}")
    missing = [k for k in ("occurredAt", "source", "mediaId", "before", "after") if k not in body]
    if missing:
        raise PoisonEvent(f"missing fields: {', '.join(missing)}")
    if body["source"] not in SOURCES:
        raise PoisonEvent(f"source is not one of {', '.join(SOURCES)}")
    media_id = body["mediaId"]
    if not (_is_int(media_id) and 0 < media_id <= MAX_MEDIA_ID):
        raise PoisonEvent("mediaId is not a positive integer")
    try:
        occurred_at = datetime.fromisoformat(str(body["occurredAt"]).replace("Z", "+00:00"))
    except ValueError:
        raise PoisonEvent("occurredAt is not an ISO 8601 time") from None
    if occurred_at.tzinfo is None:
        raise PoisonEvent("occurredAt has no time zone")
    if body["before"] is None and body["after"] is None:
        raise PoisonEvent("before and after are both null")
    before, after = _side(body, "before", -1), _side(body, "after", 1)
    return Change(media_id, tuple(a + b for a, b in zip(before, after, strict=True)), occurred_at)


_COLUMNS_SQL = ", ".join(COUNTER_COLUMNS)
_LOCK_ROWS = text(
    f"SELECT media_id, {_COLUMNS_SQL} FROM media_stats "
    "WHERE media_id = ANY(:ids) ORDER BY media_id FOR UPDATE"
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))
_UNNEST = (
    "unnest(:ids, "
    + ", ".join(f":{c}" for c in COUNTER_COLUMNS)
    + f") AS v(media_id, {_COLUMNS_SQL})"
)
_ARRAYS = tuple(bindparam(n, type_=ARRAY(BigInteger)) for n in ("ids", *COUNTER_COLUMNS))
# Existing rows are incremented in SQL, never overwritten with a value from Python.
_INCREMENT = text(
    "UPDATE media_stats AS s SET "
    + ", ".join(f"{c} = s.{c} + v.{c}" for c in COUNTER_COLUMNS)
    + f", updated_at = clock_timestamp() FROM {_UNNEST} WHERE s.media_id = v.media_id"
).bindparams(*_ARRAYS)
# New media start from their (non-negative) totals. PostgreSQL checks CHECK constraints
# on the proposed row before ON CONFLICT, so negative deltas could never go this way.
_CREATE = text(
    f"INSERT INTO media_stats (media_id, {_COLUMNS_SQL}, updated_at) "
    f"SELECT v.*, clock_timestamp() FROM {_UNNEST} ON CONFLICT (media_id) DO UPDATE SET "
    + ", ".join(f"{c} = media_stats.{c} + excluded.{c}" for c in COUNTER_COLUMNS)
    + ", updated_at = excluded.updated_at"
).bindparams(*_ARRAYS)
_PROGRESS = text(
    "INSERT INTO consumer_progress (topic, partition, last_event_at, updated_at) "
    "SELECT :topic, p, t, now() FROM unnest(:partitions, :times) AS v(p, t) "
    "ON CONFLICT (topic, partition) DO UPDATE SET "
    "last_event_at = GREATEST(consumer_progress.last_event_at, excluded.last_event_at)"
).bindparams(
    bindparam("partitions", type_=ARRAY(BigInteger)),
    bindparam("times", type_=ARRAY(DateTime(timezone=True))),
)


def _arrays(media_ids: list[int], deltas: dict[int, Delta]) -> dict[str, list[int]]:
    columns = {c: [deltas[m][i] for m in media_ids] for i, c in enumerate(COUNTER_COLUMNS)}
    return {"ids": media_ids, **columns}


def on_media_entry_changed(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Apply a batch of fresh events; return the invalid or would-go-negative ones."""
    session.execute(select(func.pg_advisory_xact_lock_shared(STATS_LOCK_ID)))
    refused: list[tuple[Event, str]] = []
    by_media: dict[int, list[tuple[Event, Change]]] = defaultdict(list)
    for event in events:
        try:
            change = parse_change(event.body)
        except PoisonEvent as exc:
            refused.append((event, str(exc)))
            continue
        by_media[change.media_id].append((event, change))
    if not by_media:
        return refused
    media_ids = sorted(by_media)
    current = {row[0]: tuple(row[1:]) for row in session.execute(_LOCK_ROWS, {"ids": media_ids})}
    net: dict[int, Delta] = {}
    last_seen: dict[int, datetime] = {}
    for media_id in media_ids:
        values = current.get(media_id, _ZERO)
        start, applied = values, False
        for event, change in by_media[media_id]:
            after = tuple(v + d for v, d in zip(values, change.delta, strict=True))
            if min(after) < 0:
                refused.append((event, "would take a counter below zero"))
                continue
            values, applied = after, True
            seen = last_seen.get(event.partition)
            if seen is None or change.occurred_at > seen:
                last_seen[event.partition] = change.occurred_at
        if applied:
            net[media_id] = tuple(v - s for v, s in zip(values, start, strict=True))
    if net:
        existing = [m for m in net if m in current]
        if existing:
            session.execute(_INCREMENT, _arrays(existing, net))
        created = [m for m in net if m not in current]
        if created:
            session.execute(_CREATE, _arrays(created, net))
        topic = events[0].topic
        partitions = sorted(last_seen)
        session.execute(
            _PROGRESS,
            {"topic": topic, "partitions": partitions, "times": [last_seen[p] for p in partitions]},
        )
    return refused
