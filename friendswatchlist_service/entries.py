"""Media entries of shared lists: add, change, remove, each with its event.

Every write locks the list row first and bumps its version; the entry takes that new
version as its ETag. `If-Match` is compared under those locks, so a stale writer gets
412 and its transaction is rolled back whole.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, entry_state
from servicekit.errors import Conflict, NotFound, PreconditionFailed
from servicekit.preconditions import ANY_VERSION, IfMatch

from .events import entry_events
from .models import Entry, SharedList, db
from .services import visible


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


def _locked_entry(list_id: uuid.UUID, media_id: int, if_match: IfMatch = ANY_VERSION) -> Entry:
    entry = None
    if 0 < media_id <= MAX_MEDIA_ID:
        entry = db.session.scalars(
            select(Entry)
            .where(Entry.list_id == list_id, Entry.media_id == media_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    if entry is None:
        raise NotFound("This media is not in the list.")
    _require(if_match, entry.version)
    return entry


def add_entry(
    *,
    list_id: uuid.UUID,
    user_id: uuid.UUID,
    media_id: int,
    status: str = "added",
    progress: int | None = None,
    rating: int | None = None,
) -> Entry:
    """Add a media to a list the user owns or is a member of; 409 if it is there already."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    version = _touch(shared)
    entry = db.session.scalars(
        pg_insert(Entry)
        .values(
            list_id=shared.id,
            media_id=media_id,
            status=status,
            progress=progress,
            rating=rating,
            version=version,
        )
        .on_conflict_do_nothing()
        .returning(Entry)
    ).first()
    if entry is None:
        db.session.rollback()
        raise Conflict("This media is already in the list.")
    entry_events.changed(
        db.session,
        list_id=shared.id,
        media_id=media_id,
        before=None,
        after=entry_state(entry.status, entry.rating),
        owner_id=shared.owner_id,
        actor_id=user_id,
    )
    db.session.commit()
    return entry


def update_entry(
    *,
    list_id: uuid.UUID,
    user_id: uuid.UUID,
    media_id: int,
    changes: dict[str, Any],
    if_match: IfMatch = ANY_VERSION,
) -> Entry:
    """Change status, progress or rating (`rating: None` clears it); 412 if stale."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    entry = _locked_entry(shared.id, media_id, if_match)
    entry.version = _touch(shared)
    before = entry_state(entry.status, entry.rating)
    for name in ("status", "progress", "rating"):
        if name in changes:
            setattr(entry, name, changes[name])
    entry.updated_at = func.now()
    after = entry_state(entry.status, entry.rating)
    entry_events.changed(
        db.session,
        list_id=shared.id,
        media_id=media_id,
        before=before,
        after=after,
        owner_id=shared.owner_id,
        actor_id=user_id,
    )
    db.session.commit()
    return entry


def remove_entry(
    *, list_id: uuid.UUID, user_id: uuid.UUID, media_id: int, if_match: IfMatch = ANY_VERSION
) -> None:
    """Take a media off the list; 412 if `if_match` names another version."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    entry = _locked_entry(shared.id, media_id, if_match)
    entry_events.changed(
        db.session,
        list_id=shared.id,
        media_id=media_id,
        before=entry_state(entry.status, entry.rating),
        after=None,
        owner_id=shared.owner_id,
        actor_id=user_id,
    )
    db.session.delete(entry)
    _touch(shared)
    db.session.commit()
