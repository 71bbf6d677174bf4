"""The watchlist service's rules; no Flask request objects here.

Every write to a list first updates the list row (its `updatedAt`), which also locks it,
then locks the entry: writes to one list are serialised in one order, so an event's
`before` is what the previous commit left, and deleting a list cannot miss an entry
added at the same moment. Writes answer from `RETURNING` rows, not from a re-read.

The same update bumps the list's `version` (its ETag), and a changed entry takes the
list's new version as its own. `If-Match` is compared while that lock is held, so a
stale writer gets 412 and its transaction is rolled back whole.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, PRIVATE, entry_state
from servicekit.errors import Conflict, NotFound, PreconditionFailed
from servicekit.preconditions import ANY_VERSION, IfMatch
from servicekit.titles import episode_columns
from servicekit.watches import Key, add_watch, remove_watch, watch_page

from .events import entry_events, remove_lists, visibility_changed
from .models import Entry, WatchList, db, watches
from .queries import NO_LIST, ListSummary, list_row, owned, owned_list

_NO_ENTRY = "This media is not in the watchlist."
_NO_WATCH = "This entry has no such watch."
_WATCHED = "watched"
_ENTRY_COLUMNS = tuple(Entry.__table__.c)


def _lock_and_touch(*, owner_id: uuid.UUID, list_id: uuid.UUID, **values: Any) -> Row:
    """Lock the caller's list row by updating its `updatedAt`, version (and `values`).

    Returns its new `version` and its `visibility`; 404 if the list is not theirs.
    """
    touched = db.session.execute(
        update(WatchList)
        .where(owned(owner_id, list_id))
        .values(updated_at=func.clock_timestamp(), version=WatchList.version + 1, **values)
        .returning(WatchList.version, WatchList.visibility)
        .execution_options(synchronize_session=False)
    ).first()
    if touched is None:
        db.session.rollback()
        raise NotFound(NO_LIST)
    return touched


def _require(if_match: IfMatch, version: int) -> None:
    """412 (with everything this transaction did undone) unless `If-Match` names `version`."""
    try:
        if_match.require(version)
    except PreconditionFailed:
        db.session.rollback()
        raise


def create_list(*, owner_id: uuid.UUID, name: str, visibility: str = PRIVATE) -> ListSummary:
    """A new empty list owned by the caller."""
    row = db.session.execute(
        insert(WatchList)
        .values(owner_id=owner_id, name=name.strip(), visibility=visibility)
        .returning(
            WatchList.id,
            WatchList.name,
            WatchList.visibility,
            WatchList.created_at,
            WatchList.updated_at,
            WatchList.version,
        )
    ).one()
    db.session.commit()
    return ListSummary(*row[:5], media_count=0, version=row.version)


def update_list(
    *,
    owner_id: uuid.UUID,
    list_id: uuid.UUID,
    name: str | None = None,
    visibility: str | None = None,
    if_match: IfMatch = ANY_VERSION,
) -> WatchList:
    """Rename the caller's list or change who may read it; 412 if `if_match` is stale.

    A new visibility re-announces every entry (`events.visibility_changed`) in the same
    transaction, so the per-person figures' audiences follow the list.
    """
    values: dict[str, Any] = {} if name is None else {"name": name.strip()}
    before = None
    if visibility is not None:
        before = db.session.scalar(
            select(WatchList.visibility).where(owned(owner_id, list_id)).with_for_update()
        )
        values["visibility"] = visibility
    touched = _lock_and_touch(owner_id=owner_id, list_id=list_id, **values)
    _require(if_match, touched.version - 1)
    if before is not None and before != visibility:
        visibility_changed(db.session, list_id, owner_id, before=before, after=str(visibility))
    db.session.commit()
    return owned_list(owner_id=owner_id, list_id=list_id)


def delete_list(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, if_match: IfMatch = ANY_VERSION
) -> None:
    """Delete the caller's list; each of its entries leaves a removal event; 412 if stale."""
    if if_match.condition is not None:
        version = db.session.scalar(
            select(WatchList.version).where(owned(owner_id, list_id)).with_for_update()
        )
        if version is None:
            db.session.rollback()
            raise NotFound(NO_LIST)
        _require(if_match, version)
    if not remove_lists(db.session, owned(owner_id, list_id)):
        db.session.rollback()
        raise NotFound(NO_LIST)
    db.session.commit()


def _state(row: Any) -> dict[str, Any]:
    return entry_state(row.status, row.rating, row.times_watched)


def _announce(list_row: Row, owner_id: uuid.UUID, key: Key, before: Any, after: Any) -> None:
    """Queue the entry's change (before/after are rows or None) in this transaction."""
    entry_events.changed(
        db.session,
        list_id=key[0],
        media_type=key[1],
        media_id=key[2],
        before=None if before is None else _state(before),
        after=None if after is None else _state(after),
        owner_id=owner_id,
        actor_id=owner_id,
        visibility=list_row.visibility,
    )


def add_entry(
    *,
    owner_id: uuid.UUID,
    key: Key,
    status: str = "added",
    progress: int | None = None,
    rating: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Row:
    """Add a title to the caller's list; 409 when it is there; added as watched counts a watch."""
    extra = extra or {}
    list_id, media_type, media_id = key
    columns = episode_columns(media_type, extra)
    touched = _lock_and_touch(owner_id=owner_id, list_id=list_id)
    inserted = db.session.execute(
        pg_insert(Entry)
        .values(
            list_id=list_id,
            media_type=media_type,
            media_id=media_id,
            status=status,
            progress=progress,
            rating=rating,
            notes=extra.get("notes"),
            version=touched.version,
            **columns,
        )
        .on_conflict_do_nothing(index_elements=[Entry.list_id, Entry.media_type, Entry.media_id])
        .returning(*_ENTRY_COLUMNS)
    ).first()
    if inserted is None:
        db.session.rollback()
        raise Conflict("This media is already in the watchlist.")
    if status == _WATCHED:
        add_watch(db.session, watches, Entry, key, None)
        inserted = _entry_row(key)
    _announce(touched, owner_id, key, None, inserted)
    db.session.commit()
    return inserted


def _valid_media_id(media_id: int) -> None:
    # The path converter accepts any digits; beyond BIGINT no entry can exist.
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound(_NO_ENTRY)


def _this_entry(key: Key):
    list_id, media_type, media_id = key
    return and_(
        Entry.list_id == list_id, Entry.media_type == media_type, Entry.media_id == media_id
    )


def _entry_row(key: Key) -> Row:
    return db.session.execute(select(*_ENTRY_COLUMNS).where(_this_entry(key))).one()


def _locked_entry(key: Key, if_match: IfMatch) -> Row:
    """The entry's row, locked (its list already is); 404 if absent, 412 if stale."""
    _valid_media_id(key[2])
    current = db.session.execute(
        select(*_ENTRY_COLUMNS).where(_this_entry(key)).with_for_update()
    ).first()
    if current is None:
        db.session.rollback()
        raise NotFound(_NO_ENTRY)
    _require(if_match, current.version)
    return current


def _set_entry(key: Key, version: int, **values: Any) -> Row:
    return db.session.execute(
        update(Entry)
        .where(_this_entry(key))
        .values(updated_at=func.clock_timestamp(), version=version, **values)
        .returning(*_ENTRY_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one()


def update_entry(
    *,
    owner_id: uuid.UUID,
    key: Key,
    changes: dict[str, Any],
    if_match: IfMatch = ANY_VERSION,
) -> Row:
    """Change an entry's fields; becoming `watched` counts a watch; an event if its state moved."""
    _valid_media_id(key[2])
    columns = episode_columns(key[1], changes)
    touched = _lock_and_touch(owner_id=owner_id, list_id=key[0])
    current = _locked_entry(key, if_match)
    names = ("status", "progress", "rating", "notes")
    values = {k: changes[k] for k in names if k in changes}
    updated = _set_entry(key, touched.version, **values, **columns)
    if updated.status == _WATCHED and current.status != _WATCHED:
        add_watch(db.session, watches, Entry, key, None)
        updated = _entry_row(key)
    _announce(touched, owner_id, key, current, updated)
    db.session.commit()
    return updated


def remove_entry(*, owner_id: uuid.UUID, key: Key, if_match: IfMatch = ANY_VERSION) -> None:
    """Take a title (and its watches) out of the caller's list; 412 if `if_match` is stale."""
    _valid_media_id(key[2])
    touched = _lock_and_touch(owner_id=owner_id, list_id=key[0])
    current = _locked_entry(key, if_match)
    db.session.execute(
        delete(Entry).where(_this_entry(key)).execution_options(synchronize_session=False)
    )
    _announce(touched, owner_id, key, current, None)
    db.session.commit()


def record_watch(*, owner_id: uuid.UUID, key: Key, watched_at: datetime | None) -> Row:
    """Record a (re)watch of the entry; the entry's `timesWatched` moves, with an event."""
    _valid_media_id(key[2])
    touched = _lock_and_touch(owner_id=owner_id, list_id=key[0])
    current = _locked_entry(key, ANY_VERSION)
    watch = add_watch(db.session, watches, Entry, key, watched_at)
    _announce(touched, owner_id, key, current, _set_entry(key, touched.version))
    db.session.commit()
    return watch


def delete_watch(*, owner_id: uuid.UUID, key: Key, watch_id: uuid.UUID) -> None:
    """Delete one watch of the entry; 404 if it has no such watch."""
    _valid_media_id(key[2])
    touched = _lock_and_touch(owner_id=owner_id, list_id=key[0])
    current = _locked_entry(key, ANY_VERSION)
    if not remove_watch(db.session, watches, Entry, key, watch_id):
        db.session.rollback()
        raise NotFound(_NO_WATCH)
    _announce(touched, owner_id, key, current, _set_entry(key, touched.version))
    db.session.commit()


def list_watches(
    *, owner_id: uuid.UUID, key: Key, limit: int, cursor: str | None
) -> tuple[list[Row], str | None]:
    """A page of the entry's watches, newest first; 404 if the list or entry is not there."""
    list_row(owner_id=owner_id, list_id=key[0])
    _valid_media_id(key[2])
    if db.session.execute(select(Entry.version).where(_this_entry(key))).first() is None:
        raise NotFound(_NO_ENTRY)
    return watch_page(db.session, watches, key, limit=limit, cursor=cursor)
