"""What the consumer loop hands to a service: decoded events, and how a handler refuses one.

A message becomes an `Event` only when its value is a JSON object with a string
`eventId` of at most 64 characters and nothing PostgreSQL cannot store; anything else
is a reason for the dead-letter table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from confluent_kafka import Message
from sqlalchemy.orm import Session

from .poison import unsafe_json


@dataclass(frozen=True)
class Event:
    """One consumed event: where it came from and its decoded body."""

    topic: str  # the contract topic name, without the deployment's prefix
    partition: int
    offset: int
    key: str | None
    body: dict[str, Any]

    @property
    def event_id(self) -> str:
        """The producer's id for this event."""
        return str(self.body["eventId"])


class PoisonEvent(Exception):
    """Raised by a handler's validation for an event that can never be applied."""


def is_int(value: Any) -> TypeGuard[int]:
    """An integer in a decoded body (JSON's true and false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def occurred_at(body: dict[str, Any]) -> datetime:
    """The event's `occurredAt` as an aware time; PoisonEvent when it is not one."""
    try:
        occurred = datetime.fromisoformat(str(body.get("occurredAt")).replace("Z", "+00:00"))
    except ValueError:
        raise PoisonEvent("occurredAt is not an ISO 8601 time") from None
    if occurred.tzinfo is None:
        raise PoisonEvent("occurredAt has no time zone")
    return occurred


# A handler applies fresh events of one topic in the caller's transaction and returns
# the events it refused (each with a reason) for the dead-letter table.
Handler = Callable[[Session, list[Event]], list[tuple[Event, str]]]


def decode(msg: Message, prefix: str) -> Event | str:
    """The event in a polled message, or why it can never be applied (it is dead-lettered)."""
    topic = (msg.topic() or "")[len(prefix) :]
    raw = msg.value() or b""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "value is not JSON"
    except RecursionError:
        return "value is nested too deeply"
    unsafe = unsafe_json(body, raw if isinstance(raw, bytes) else None)
    if unsafe:
        return unsafe
    if not isinstance(body, dict) or not isinstance(body.get("eventId"), str):
        return "value is not an object with a string eventId"
    if not 0 < len(body["eventId"]) <= 64:
        return "eventId is empty or too long"
    raw_key = msg.key()
    key = raw_key.decode(errors="replace") if isinstance(raw_key, bytes) else raw_key
    # a polled message (not an error) always has its partition and offset
    return Event(topic, msg.partition() or 0, msg.offset() or 0, key, body)
