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
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, entry_state
from servicekit.errors import Conflict, NotFound, PreconditionFailed
from servicekit.preconditions import ANY_VERSION, IfMatch

from .events import entry_events, remove_lists
from .models import Entry, WatchList, db
from .queries import NO_LIST, ListSummary, owned, owned_list

_NO_ENTRY = "This media is not in the watchlist."
_ENTRY_COLUMNS = tuple(Entry.__table__.c)


def _lock_and_touch(*, owner_id: uuid.UUID, list_id: uuid.UUID, **values: Any) -> int:
    """Lock the caller's list row by updating its `updatedAt`, version (and `values`).

    Returns the new version; 404 if the list is not theirs.
    """
    touched = db.session.execute(
        update(WatchList)
        .where(owned(owner_id, list_id))
        .values(updated_at=func.clock_timestamp(), version=WatchList.version + 1, **values)
        .returning(WatchList.version)
        .execution_options(synchronize_session=False)
    ).first()
    if touched is None:
        db.session.rollback()
        raise NotFound(NO_LIST)
    return int(touched.version)


def _require(if_match: IfMatch, version: int) -> None:
    """412 (with everything this transaction did undone) unless `If-Match` names `version`."""
    try:
        if_match.require(version)
    except PreconditionFailed:
        db.session.rollback()
        raise


def create_list(*, owner_id: uuid.UUID, name: str) -> ListSummary:
    """A new empty list owned by the caller."""
    row = db.session.execute(
        insert(WatchList)
        .values(owner_id=owner_id, name=name.strip())
        .returning(
            WatchList.id,
            WatchList.name,
            WatchList.created_at,
            WatchList.updated_at,
            WatchList.version,
        )
    ).one()
    db.session.commit()
    return ListSummary(*row[:4], media_count=0, version=row.version)


def rename_list(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, name: str, if_match: IfMatch = ANY_VERSION
) -> WatchList:
    """Rename the caller's list; 412 if `if_match` names another version."""
    version = _lock_and_touch(owner_id=owner_id, list_id=list_id, name=name.strip())
    _require(if_match, version - 1)
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
    version = _lock_and_touch(owner_id=owner_id, list_id=list_id)
    inserted = db.session.execute(
        pg_insert(Entry)
        .values(
            list_id=list_id,
            media_id=media_id,
            status=status,
            progress=progress,
            rating=rating,
            version=version,
        )
        .on_conflict_do_nothing(index_elements=[Entry.list_id, Entry.media_id])
        .returning(*_ENTRY_COLUMNS)
    ).first()
    if inserted is None:
        db.session.rollback()
        raise Conflict("This media is already in the watchlist.")
    entry_events.changed(
        db.session,
        list_id=list_id,
        media_id=media_id,
        before=None,
        after=entry_state(status, rating),
        owner_id=owner_id,
        actor_id=owner_id,
    )
    db.session.commit()
    return inserted


def _valid_media_id(media_id: int) -> None:
    # The path converter accepts any digits; beyond BIGINT no entry can exist.
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound(_NO_ENTRY)


def _this_entry(list_id: uuid.UUID, media_id: int):
    return and_(Entry.list_id == list_id, Entry.media_id == media_id)


def _locked_entry(list_id: uuid.UUID, media_id: int, if_match: IfMatch) -> Row:
    """The entry's state, locked (its list already is); 404 if absent, 412 if stale."""
    current = db.session.execute(
        select(Entry.status, Entry.rating, Entry.version)
        .where(_this_entry(list_id, media_id))
        .with_for_update()
    ).first()
    if current is None:
        db.session.rollback()
        raise NotFound(_NO_ENTRY)
    _require(if_match, current.version)
    return current


def update_entry(
    *,
    owner_id: uuid.UUID,
    list_id: uuid.UUID,
    media_id: int,
    changes: dict[str, Any],
    if_match: IfMatch = ANY_VERSION,
) -> Row:
    """Change an entry's status, progress or rating; an event only if status or rating moved."""
    _valid_media_id(media_id)
    version = _lock_and_touch(owner_id=owner_id, list_id=list_id)
    current = _locked_entry(list_id, media_id, if_match)
    before = entry_state(current.status, current.rating)
    values = {k: changes[k] for k in ("status", "progress", "rating") if k in changes}
    updated = db.session.execute(
        update(Entry)
        .where(_this_entry(list_id, media_id))
        .values(updated_at=func.clock_timestamp(), version=version, **values)
        .returning(*_ENTRY_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one()
    entry_events.changed(
        db.session,
        list_id=list_id,
        media_id=media_id,
        before=before,
        after=entry_state(updated.status, updated.rating),
        owner_id=owner_id,
        actor_id=owner_id,
    )
    db.session.commit()
    return updated


def remove_entry(
    *, owner_id: uuid.UUID, list_id: uuid.UUID, media_id: int, if_match: IfMatch = ANY_VERSION
) -> None:
    """Take a media out of the caller's list; 412 if `if_match` names another version."""
    _valid_media_id(media_id)
    _lock_and_touch(owner_id=owner_id, list_id=list_id)
    _locked_entry(list_id, media_id, if_match)
    removed = db.session.execute(
        delete(Entry)
        .where(_this_entry(list_id, media_id))
        .returning(Entry.status, Entry.rating)
        .execution_options(synchronize_session=False)
    ).first()
    if removed is None:
        db.session.rollback()
        raise NotFound(_NO_ENTRY)
    entry_events.changed(
        db.session,
        list_id=list_id,
        media_id=media_id,
        before=entry_state(removed.status, removed.rating),
        after=None,
        owner_id=owner_id,
        actor_id=owner_id,
    )
    db.session.commit()
