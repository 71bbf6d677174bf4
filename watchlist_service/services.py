"""The watchlist service's rules; no Flask request objects here.

Every write locks the list row first (then the entry row), so writes to one list are
serialised in one order: an event's `before` is what the previous commit left, and a
list deletion cannot miss an entry added at the same moment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import with_expression

from servicekit.errors import Conflict, NotFound, invalid
from servicekit.schemas import decode_cursor, encode_cursor

from .events import entry_changed, entry_state, queue_entry_changes, remove_lists
from .models import MAX_MEDIA_ID, Entry, WatchList, db

_NO_LIST = "No such watchlist."
_NO_ENTRY = "This media is not in the watchlist."
_media_count = (
    select(func.count()).where(Entry.list_id == WatchList.id).correlate(WatchList).scalar_subquery()
)


def _owned_list(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, lock: bool = False, count: bool = True
) -> WatchList:
    """The caller's list (locked for a write); someone else's is as absent as a missing one."""
    query = select(WatchList).where(WatchList.id == list_id, WatchList.owner_id == owner_id)
    if lock:
        query = query.with_for_update()
    elif count:
        query = query.options(_with_count())
    found = db.session.scalars(query).first()
    if found is None:
        raise NotFound(_NO_LIST)
    return found


def _with_count():
    return with_expression(WatchList.media_count, _media_count)


def _touch(watchlist: WatchList) -> None:
    watchlist.updated_at = func.clock_timestamp()


def list_lists(
    *, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[WatchList], str | None]:
    """The caller's lists with their media counts, newest first, keyset-paged."""
    query = select(WatchList).where(WatchList.owner_id == owner_id).options(_with_count())
    if cursor:
        created, last_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(str(created)), uuid.UUID(str(last_id)))
        except ValueError:
            raise invalid("cursor", "Not a valid cursor.") from None
        query = query.where(tuple_(WatchList.created_at, WatchList.id) < after)
    order = (WatchList.created_at.desc(), WatchList.id.desc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)])
    return rows, next_cursor


def create_list(*, owner_id: uuid.UUID, name: str) -> WatchList:
    """A new empty list owned by the caller."""
    watchlist = WatchList(owner_id=owner_id, name=name.strip())
    db.session.add(watchlist)
    db.session.commit()
    return _owned_list(owner_id=owner_id, list_id=watchlist.id)


@dataclass(frozen=True)
class ListDetail:
    """A list as its owner sees it, with its entries."""

    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    media: list[Row]

    @property
    def media_count(self) -> int:
        """How many media the list holds."""
        return len(self.media)


def get_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> ListDetail:
    """The caller's list and its entries, oldest addition first."""
    watchlist = _owned_list(owner_id=owner_id, list_id=list_id, lock=False, count=False)
    entries = db.session.execute(
        select(
            Entry.media_id,
            Entry.status,
            Entry.progress,
            Entry.rating,
            Entry.added_at,
            Entry.updated_at,
        )
        .where(Entry.list_id == list_id)
        .order_by(Entry.added_at, Entry.media_id)
    ).all()
    w = watchlist
    return ListDetail(w.id, w.name, w.created_at, w.updated_at, entries)


def rename_list(*, owner_id: uuid.UUID, list_id: uuid.UUID, name: str) -> WatchList:
    """Rename the caller's list."""
    watchlist = _owned_list(owner_id=owner_id, list_id=list_id, lock=True)
    watchlist.name = name.strip()
    _touch(watchlist)
    db.session.commit()
    return _owned_list(owner_id=owner_id, list_id=list_id)


def delete_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> None:
    """Delete the caller's list; each of its entries leaves a removal event."""
    _owned_list(owner_id=owner_id, list_id=list_id, lock=True)
    remove_lists(db.session, WatchList.id == list_id)
    db.session.commit()


def add_entry(
    *,
    owner_id: uuid.UUID,
    list_id: uuid.UUID,
    media_id: int,
    status: str = "added",
    progress: int | None = None,
    rating: int | None = None,
) -> Entry:
    """Add a media to the caller's list; 409 when it is already there."""
    watchlist = _owned_list(owner_id=owner_id, list_id=list_id, lock=True)
    inserted = db.session.scalars(
        pg_insert(Entry)
        .values(list_id=list_id, media_id=media_id, status=status, progress=progress, rating=rating)
        .on_conflict_do_nothing(index_elements=[Entry.list_id, Entry.media_id])
        .returning(Entry)
    ).first()
    if inserted is None:
        db.session.rollback()
        raise Conflict("This media is already in the watchlist.")
    queue_entry_changes(
        db.session, [entry_changed(list_id, media_id, None, entry_state(status, rating))]
    )
    _touch(watchlist)
    db.session.commit()
    return inserted


def _valid_media_id(media_id: int) -> None:
    # The path converter accepts any digits; beyond BIGINT no entry can exist.
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound(_NO_ENTRY)


def update_entry(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, media_id: int, changes: dict[str, Any]
) -> Entry:
    """Change an entry's status, progress or rating; an event only if status or rating moved."""
    _valid_media_id(media_id)
    watchlist = _owned_list(owner_id=owner_id, list_id=list_id, lock=True)
    entry = db.session.scalars(
        select(Entry)
        .where(Entry.list_id == list_id, Entry.media_id == media_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if entry is None:
        raise NotFound(_NO_ENTRY)
    before = entry_state(entry.status, entry.rating)
    for field in ("status", "progress", "rating"):
        if field in changes:
            setattr(entry, field, changes[field])
    after = entry_state(entry.status, entry.rating)
    if after != before:
        queue_entry_changes(db.session, [entry_changed(list_id, media_id, before, after)])
    entry.updated_at = func.clock_timestamp()
    _touch(watchlist)
    db.session.commit()
    return entry


def remove_entry(*, owner_id: uuid.UUID, list_id: uuid.UUID, media_id: int) -> None:
    """Take a media out of the caller's list."""
    _valid_media_id(media_id)
    watchlist = _owned_list(owner_id=owner_id, list_id=list_id, lock=True)
    removed = db.session.execute(
        delete(Entry)
        .where(Entry.list_id == list_id, Entry.media_id == media_id)
        .returning(Entry.status, Entry.rating)
    ).first()
    if removed is None:
        raise NotFound(_NO_ENTRY)
    queue_entry_changes(
        db.session,
        [entry_changed(list_id, media_id, entry_state(removed.status, removed.rating), None)],
    )
    _touch(watchlist)
    db.session.commit()


def media_counts(*, after: int, limit: int) -> tuple[list[dict[str, int]], int | None]:
    """Per-media counters over all entries, in media id order after `after`; one query."""

    def by_status(status: str):
        return func.count().filter(Entry.status == status)

    rows = db.session.execute(
        select(
            Entry.media_id,
            by_status("added"),
            by_status("watching"),
            by_status("watched"),
            by_status("on_hold"),
            by_status("dropped"),
            func.count(Entry.rating),
            func.coalesce(func.sum(Entry.rating), 0),
        )
        .where(Entry.media_id > after)
        .group_by(Entry.media_id)
        .order_by(Entry.media_id)
        .limit(limit + 1)
    ).all()
    names = ("mediaId", "added", "watching", "watched", "onHold", "dropped")
    items = [
        {**dict(zip(names, row[:6], strict=True)), "ratingCount": row[6], "ratingSum": int(row[7])}
        for row in rows[:limit]
    ]
    next_after = items[-1]["mediaId"] if len(rows) > limit else None
    return items, next_after
