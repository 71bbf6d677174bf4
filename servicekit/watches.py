"""Watch history of list entries, the same in both list services: table, writes, pages.

Each (re)watch of an entry is a row; the entry keeps `times_watched` and
`last_watched_at` beside it, changed in the same transaction (the caller holds the
list's and the entry's locks), so a read never counts rows. Pages are newest first,
keyset-paged by (watchedAt, watchId) with an opaque cursor.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Row,
    String,
    Table,
    Uuid,
    and_,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)

from .db import AnySession
from .errors import Unprocessable
from .schemas import PageArgs, UtcDateTime, decode_cursor, encode_cursor

Key = tuple[uuid.UUID, str, int]
"""An entry: (list id, media type, media id)."""


def watches_table(metadata: MetaData, entries: str = "entries") -> Table:
    """The `watches` table, its rows removed with their entry."""
    return Table(
        "watches",
        metadata,
        Column("id", Uuid, primary_key=True, default=uuid.uuid4),
        Column("list_id", Uuid, nullable=False),
        Column("media_type", String(8), nullable=False),
        Column("media_id", BigInteger, nullable=False),
        Column("watched_at", DateTime(timezone=True), nullable=False),
        ForeignKeyConstraint(
            ["list_id", "media_type", "media_id"],
            [f"{entries}.list_id", f"{entries}.media_type", f"{entries}.media_id"],
            ondelete="CASCADE",
        ),
        Index("ix_watches_entry", "list_id", "media_type", "media_id", "watched_at", "id"),
    )


def _past(value: datetime) -> None:
    if value > datetime.now(UTC):
        raise ValidationError("Must not be in the future.")


class WatchCreate(Schema):
    """`POST .../watches`: `watchedAt` defaults to now and must not be in the future.

    A time without an offset is read as UTC, so it compares with now instead of failing.
    """

    watchedAt = fields.AwareDateTime(default_timezone=UTC, load_default=None, validate=_past)


class WatchOut(Schema):
    """One watch of an entry."""

    watchId = fields.UUID(attribute="id")
    watchedAt = UtcDateTime(attribute="watched_at")


class WatchPage(Schema):
    """A page of an entry's watches, newest first."""

    items = fields.List(fields.Nested(WatchOut))
    nextCursor = fields.String(allow_none=True)


class WatchPageArgs(PageArgs):
    """`GET .../watches?limit=&cursor=`."""


def _of(table: Table, key: Key) -> Any:
    list_id, media_type, media_id = key
    c = table.c
    return and_(c.list_id == list_id, c.media_type == media_type, c.media_id == media_id)


def add_watch(
    session: AnySession, table: Table, entry: Any, key: Key, watched_at: datetime | None
) -> Row[Any]:
    """Record one watch (now when `watched_at` is None) and count it on the entry."""
    when = watched_at or func.clock_timestamp()
    list_id, media_type, media_id = key
    watch = session.execute(
        insert(table)
        .values(
            id=uuid.uuid4(),
            list_id=list_id,
            media_type=media_type,
            media_id=media_id,
            watched_at=when,
        )
        .returning(table.c.id, table.c.watched_at)
    ).one()
    session.execute(
        update(entry)
        .where(_of(entry.__table__, key))
        .values(
            times_watched=entry.times_watched + 1,
            last_watched_at=func.greatest(entry.last_watched_at, watch.watched_at),
        )
        .execution_options(synchronize_session=False)
    )
    return watch


def remove_watch(
    session: AnySession, table: Table, entry: Any, key: Key, watch_id: uuid.UUID
) -> bool:
    """Delete one watch of the entry and recount it; False if the entry has no such watch."""
    gone = session.execute(
        delete(table).where(_of(table, key), table.c.id == watch_id).returning(table.c.id)
    ).first()
    if gone is None:
        return False
    latest = select(func.max(table.c.watched_at)).where(_of(table, key)).scalar_subquery()
    session.execute(
        update(entry)
        .where(_of(entry.__table__, key))
        .values(times_watched=entry.times_watched - 1, last_watched_at=latest)
        .execution_options(synchronize_session=False)
    )
    return True


def _resume_after(cursor: str) -> tuple[datetime, uuid.UUID]:
    watched_at, watch_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(watched_at)), uuid.UUID(str(watch_id))
    except ValueError:
        raise Unprocessable(
            "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
        ) from None


def watch_page(
    session: AnySession, table: Table, key: Key, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of the entry's watches, newest first, and the cursor to the next one."""
    c = table.c
    query = select(c.id, c.watched_at).where(_of(table, key))
    if cursor:
        query = query.where(tuple_(c.watched_at, c.id) < _resume_after(cursor))
    rows = list(session.execute(query.order_by(c.watched_at.desc(), c.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1].watched_at.isoformat(), str(rows[-1].id)])
