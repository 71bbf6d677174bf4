"""Event tables every producing or consuming service adds to its own metadata.

Each service owns its copies (no shared Base): the outbox it publishes from, the
record of event ids it has applied, and the dead letters it could not apply.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from .db import AnySession

# Sent with every outbox write; delivered at commit (and once per transaction however
# many writes), it wakes the waiting relay (servicekit.relay.Wakeup).
WAKE_CHANNEL = "outbox_written"
_WAKE_RELAY = text(f"SELECT pg_notify('{WAKE_CHANNEL}', '')")


def outbox_table(metadata: MetaData) -> Table:
    """The transactional outbox: rows written with the change, published by the relay."""
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", BigInteger, nullable=False, server_default=text("0")),
    )
    Index("ix_outbox_unsent", table.c.id, postgresql_where=table.c.sent_at.is_(None))
    return table


def processed_events_table(metadata: MetaData) -> Table:
    """Event ids already applied: the primary key makes a replay a no-op."""
    return Table(
        "processed_events",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def dead_letters_table(metadata: MetaData) -> Table:
    """Events that could not be applied, kept with their position for an operator."""
    return Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False),
        Column("partition", BigInteger, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", Text),
        Column("value", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def utc_now_iso() -> str:
    """Now, as the contract writes times: ISO 8601 UTC with `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(event_type: str, **fields: Any) -> dict[str, Any]:
    """An event body with a fresh `eventId` and `occurredAt`."""
    return {"eventId": str(uuid.uuid4()), "type": event_type, "occurredAt": utc_now_iso(), **fields}


def add_event(
    session: AnySession, outbox: Table, *, topic: str, key: str, payload: dict[str, Any]
) -> None:
    """Queue an event in the caller's transaction; it is published only if that commits."""
    session.execute(insert(outbox).values(topic=topic, key=key, payload=payload))
    session.execute(_WAKE_RELAY)


def add_events(session: AnySession, outbox: Table, rows: list[dict[str, Any]]) -> None:
    """Queue many events (`topic`, `key`, `payload` each) in one statement."""
    if rows:
        session.execute(insert(outbox), rows)
        session.execute(_WAKE_RELAY)
