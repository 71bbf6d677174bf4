"""The watchlist service's rules; no Flask request objects here.

Every write to a list first updates the list row (its `updatedAt`), which also locks it,
then locks the entry: writes to one list are serialised in one order, so an event's
`before` is what the previous commit left, and deleting a list cannot miss an entry
added at the same moment. Writes answer from `RETURNING` rows, not from a re-read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, literal_column, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import with_expression

from servicekit.errors import Conflict, NotFound, invalid
from servicekit.schemas import decode_cursor, encode_cursor

from .events import entry_changed, entry_state, queue_entry_changes, remove_lists
from .models import MAX_MEDIA_ID, Entry, WatchList, db

_NO_LIST = "No such watchlist."
_NO_ENTRY = "This media is not in the watchlist."
_ENTRY_COLUMNS = tuple(Entry.__table__.c)
_media_count = (
    select(func.count()).where(Entry.list_id == WatchList.id).correlate(WatchList).scalar_subquery()
)


def _owned(owner_id: uuid.UUID, list_id: uuid.UUID):
    return and_(WatchList.id == list_id, WatchList.owner_id == owner_id)


def _owned_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> WatchList:
    """The caller's list with its media count; someone else's is as absent as a missing one."""
    found = db.session.scalars(
        select(WatchList)
        .where(_owned(owner_id, list_id))
        .options(with_expression(WatchList.media_count, _media_count))
    ).first()
    if found is None:
        raise NotFound(_NO_LIST)
    return found


def _lock_and_touch(*, owner_id: uuid.UUID, list_id: uuid.UUID, **values: Any) -> None:
    """Lock the caller's list row by updating its `updatedAt` (and `values`); 404 if not theirs."""
    touched = db.session.execute(
        update(WatchList)
        .where(_owned(owner_id, list_id))
        .values(updated_at=func.clock_timestamp(), **values)
        .returning(WatchList.id)
        .execution_options(synchronize_session=False)
    ).first()
    if touched is None:
        db.session.rollback()
        raise NotFound(_NO_LIST)


def list_lists(
    *, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[WatchList], str | None]:
    """The caller's lists with their media counts, newest first, keyset-paged."""
    query = (
        select(WatchList)
        .where(WatchList.owner_id == owner_id)
        .options(with_expression(WatchList.media_count, _media_count))
    )
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


@dataclass(frozen=True)
class ListSummary:
    """A list as a write answers it."""

    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    media_count: int


def create_list(*, owner_id: uuid.UUID, name: str) -> ListSummary:
    """A new empty list owned by the caller."""
    row = db.session.execute(
        insert(WatchList)
        .values(owner_id=owner_id, name=name.strip())
        .returning(WatchList.id, WatchList.name, WatchList.created_at, WatchList.updated_at)
    ).one()
    db.session.commit()
    return ListSummary(*row, media_count=0)


def _utc_text(column) -> Any:
    # Formats like servicekit.schemas.UtcDateTime: milliseconds (truncated), then `Z`.
    return func.to_char(column.op("AT TIME ZONE")("UTC"), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


_entry_json = func.json_build_object(
    "mediaId",
    Entry.media_id,
    "status",
    Entry.status,
    "progress",
    Entry.progress,
    "rating",
    Entry.rating,
    "addedAt",
    _utc_text(Entry.added_at),
    "updatedAt",
    _utc_text(Entry.updated_at),
)


@dataclass(frozen=True)
class ListDetail(ListSummary):
    """A list as its owner sees it; `media_json` is its entries as a JSON array."""

    media_json: str


def get_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> ListDetail:
    """The caller's list and its entries, oldest addition first.

    PostgreSQL renders the entries as JSON, so a list of a thousand media costs about
    as much as a short one instead of a thousand Python objects.
    """
    w = db.session.scalars(select(WatchList).where(_owned(owner_id, list_id))).first()
    if w is None:
        raise NotFound(_NO_LIST)
    count, media = db.session.execute(
        select(
            func.count(),
            func.coalesce(
                func.json_agg(literal_column("entry_json")), literal_column("'[]'::json")
            ).cast(db.Text),
        ).select_from(
            select(_entry_json.label("entry_json"))
            .where(Entry.list_id == list_id)
            .order_by(Entry.added_at, Entry.media_id)
            .subquery()
        )
    ).one()
    return ListDetail(w.id, w.name, w.created_at, w.updated_at, count, media)


def rename_list(*, owner_id: uuid.UUID, list_id: uuid.UUID, name: str) -> WatchList:
    """Rename the caller's list."""
    _lock_and_touch(owner_id=owner_id, list_id=list_id, name=name.strip())
    db.session.commit()
    return _owned_list(owner_id=owner_id, list_id=list_id)


def delete_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> None:
    """Delete the caller's list; each of its entries leaves a removal event."""
    if not remove_lists(db.session, _owned(owner_id, list_id)):
        db.session.rollback()
        raise NotFound(_NO_LIST)
    db.session.commit()


def add_entry(
    *,
    owner_id: uuid.UUID,
    list_id: uuid.UUID,
    media_id: int,
    status: str = "added",
    progress: int | None = None,
    rating: int | None = None,
) -> Row:
    """Add a media to the caller's list; 409 when it is already there."""
    _lock_and_touch(owner_id=owner_id, list_id=list_id)
    inserted = db.session.execute(
        pg_insert(Entry)
        .values(list_id=list_id, media_id=media_id, status=status, progress=progress, rating=rating)
        .on_conflict_do_nothing(index_elements=[Entry.list_id, Entry.media_id])
        .returning(*_ENTRY_COLUMNS)
    ).first()
    if inserted is None:
        db.session.rollback()
        raise Conflict("This media is already in the watchlist.")
    queue_entry_changes(
        db.session, [entry_changed(list_id, media_id, None, entry_state(status, rating))]
    )
    db.session.commit()
    return inserted


def _valid_media_id(media_id: int) -> None:
    # The path converter accepts any digits; beyond BIGINT no entry can exist.
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound(_NO_ENTRY)


def _this_entry(list_id: uuid.UUID, media_id: int):
    return and_(Entry.list_id == list_id, Entry.media_id == media_id)


def update_entry(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, media_id: int, changes: dict[str, Any]
) -> Row:
    """Change an entry's status, progress or rating; an event only if status or rating moved."""
    _valid_media_id(media_id)
    _lock_and_touch(owner_id=owner_id, list_id=list_id)
    current = db.session.execute(
        select(Entry.status, Entry.rating).where(_this_entry(list_id, media_id)).with_for_update()
    ).first()
    if current is None:
        db.session.rollback()
        raise NotFound(_NO_ENTRY)
    before = entry_state(current.status, current.rating)
    values = {k: changes[k] for k in ("status", "progress", "rating") if k in changes}
    updated = db.session.execute(
        update(Entry)
        .where(_this_entry(list_id, media_id))
        .values(updated_at=func.clock_timestamp(), **values)
        .returning(*_ENTRY_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one()
    after = entry_state(updated.status, updated.rating)
    if after != before:
        queue_entry_changes(db.session, [entry_changed(list_id, media_id, before, after)])
    db.session.commit()
    return updated


def remove_entry(*, owner_id: uuid.UUID, list_id: uuid.UUID, media_id: int) -> None:
    """Take a media out of the caller's list."""
    _valid_media_id(media_id)
    _lock_and_touch(owner_id=owner_id, list_id=list_id)
    removed = db.session.execute(
        delete(Entry)
        .where(_this_entry(list_id, media_id))
        .returning(Entry.status, Entry.rating)
        .execution_options(synchronize_session=False)
    ).first()
    if removed is None:
        db.session.rollback()
        raise NotFound(_NO_ENTRY)
    queue_entry_changes(
        db.session,
        [entry_changed(list_id, media_id, entry_state(removed.status, removed.rating), None)],
    )
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
