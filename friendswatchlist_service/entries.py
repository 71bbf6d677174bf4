"""Media entries of shared lists and their watches: add, change, remove, each with its event.

Every write locks the list row first and bumps its version; the entry takes that new
version as its ETag. `If-Match` is compared under those locks, so a stale writer gets
412 and its transaction is rolled back whole. An entry is (list, mediaType, mediaId).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, entry_state
from servicekit.errors import Conflict, NotFound, PreconditionFailed
from servicekit.preconditions import ANY_VERSION, IfMatch
from servicekit.titles import episode_columns
from servicekit.watches import Key, add_watch, remove_watch, watch_page

from .events import entry_events
from .models import Entry, SharedList, db, watches
from .services import visible

_WATCHED = "watched"


def _touch(shared: SharedList) -> int:
    """Mark the locked list changed; returns its new version."""
    shared.updated_at = func.now()
    shared.version = shared.version + 1
    return shared.version


def _require(if_match: IfMatch, version: int) -> None:
    """412, with this transaction rolled back, unless `If-Match` names `version`."""
    try:
        if_match.require(version)
    except PreconditionFailed:
        db.session.rollback()
        raise


def _find(key: Key, *, lock: bool) -> Entry | None:
    list_id, media_type, media_id = key
    if not 0 < media_id <= MAX_MEDIA_ID:
        return None
    query = select(Entry).where(
        Entry.list_id == list_id, Entry.media_type == media_type, Entry.media_id == media_id
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def _locked_entry(key: Key, if_match: IfMatch = ANY_VERSION) -> Entry:
    entry = _find(key, lock=True)
    if entry is None:
        raise NotFound("This media is not in the list.")
    _require(if_match, entry.version)
    return entry


def _state(entry: Entry) -> dict[str, Any]:
    return entry_state(entry.status, entry.rating, entry.times_watched)


def _announce(shared: SharedList, key: Key, actor: uuid.UUID, before: Any, after: Any) -> None:
    """Queue the entry's change (before/after are `entry_state`s or None)."""
    entry_events.changed(
        db.session,
        list_id=shared.id,
        media_type=key[1],
        media_id=key[2],
        before=before,
        after=after,
        owner_id=shared.owner_id,
        actor_id=actor,
    )


def _count_watch(key: Key, watched_at: datetime | None) -> Row[Any]:
    """Record a watch; the entry's counters change in SQL, so re-read it afterwards."""
    return add_watch(db.session, watches, Entry, key, watched_at)


def add_entry(
    *,
    key: Key,
    user_id: uuid.UUID,
    status: str = "added",
    progress: int | None = None,
    rating: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Entry:
    """Add a title to a list the user owns or is a member of; 409 if it is there already."""
    extra = extra or {}
    columns = episode_columns(key[1], extra)
    shared = visible(list_id=key[0], user_id=user_id, lock=True)
    version = _touch(shared)
    entry = db.session.scalars(
        pg_insert(Entry)
        .values(
            list_id=shared.id,
            media_type=key[1],
            media_id=key[2],
            status=status,
            progress=progress,
            rating=rating,
            notes=extra.get("notes"),
            version=version,
            **columns,
        )
        .on_conflict_do_nothing()
        .returning(Entry)
    ).first()
    if entry is None:
        db.session.rollback()
        raise Conflict("This media is already in the list.")
    if status == _WATCHED:
        _count_watch(key, None)
        entry = _locked_entry(key)
    _announce(shared, key, user_id, None, _state(entry))
    db.session.commit()
    return entry


def update_entry(
    *,
    key: Key,
    user_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: IfMatch = ANY_VERSION,
) -> Entry:
    """Change an entry's fields (`null` clears); becoming `watched` counts a watch."""
    columns = episode_columns(key[1], changes)
    shared = visible(list_id=key[0], user_id=user_id, lock=True)
    entry = _locked_entry(key, if_match)
    entry.version = _touch(shared)
    before, was = _state(entry), entry.status
    for name in ("status", "progress", "rating", "notes"):
        if name in changes:
            setattr(entry, name, changes[name])
    for name, value in columns.items():
        setattr(entry, name, value)
    entry.updated_at = func.now()
    db.session.flush()
    if entry.status == _WATCHED and was != _WATCHED:
        _count_watch(key, None)
    entry = _locked_entry(key)
    _announce(shared, key, user_id, before, _state(entry))
    db.session.commit()
    return entry


def remove_entry(*, key: Key, user_id: uuid.UUID, if_match: IfMatch = ANY_VERSION) -> None:
    """Take a title (and its watches) off the list; 412 if `if_match` is stale."""
    shared = visible(list_id=key[0], user_id=user_id, lock=True)
    entry = _locked_entry(key, if_match)
    _announce(shared, key, user_id, _state(entry), None)
    db.session.delete(entry)
    _touch(shared)
    db.session.commit()


def _rewatched(key: Key, user_id: uuid.UUID, change: Any) -> Any:
    """Run `change` (a watch written or removed) on a locked entry; the event and version follow."""
    shared = visible(list_id=key[0], user_id=user_id, lock=True)
    entry = _locked_entry(key)
    before = _state(entry)
    result = change()
    entry = _locked_entry(key)
    entry.version = _touch(shared)
    entry.updated_at = func.now()
    _announce(shared, key, user_id, before, _state(entry))
    db.session.commit()
    return result


def record_watch(*, key: Key, user_id: uuid.UUID, watched_at: datetime | None) -> Row[Any]:
    """Record a (re)watch of the entry (owner or member)."""
    return _rewatched(key, user_id, lambda: _count_watch(key, watched_at))


def delete_watch(*, key: Key, user_id: uuid.UUID, watch_id: uuid.UUID) -> None:
    """Delete one watch of the entry; 404 if it has no such watch."""

    def change() -> None:
        if not remove_watch(db.session, watches, Entry, key, watch_id):
            db.session.rollback()
            raise NotFound("This entry has no such watch.")

    _rewatched(key, user_id, change)


def list_watches(
    *, key: Key, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """A page of the entry's watches, newest first; 404 if the entry is not there."""
    visible(list_id=key[0], user_id=user_id)
    if _find(key, lock=False) is None:
        raise NotFound("This media is not in the list.")
    return watch_page(db.session, watches, key, limit=limit, cursor=cursor)
