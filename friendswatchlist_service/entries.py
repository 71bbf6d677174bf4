"""Media entries of shared lists: add, change, remove, each with its event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, entry_state
from servicekit.errors import Conflict, NotFound

from .events import entry_events
from .models import Entry, SharedList, db
from .services import visible


def _touch(shared: SharedList) -> None:
    shared.updated_at = func.now()


def _locked_entry(list_id: uuid.UUID, media_id: int) -> Entry:
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
    entry = db.session.scalars(
        pg_insert(Entry)
        .values(
            list_id=shared.id, media_id=media_id, status=status, progress=progress, rating=rating
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
    _touch(shared)
    db.session.commit()
    return entry


def update_entry(
    *, list_id: uuid.UUID, user_id: uuid.UUID, media_id: int, changes: dict[str, Any]
) -> Entry:
    """Change status, progress or rating (`rating: None` clears it)."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    entry = _locked_entry(shared.id, media_id)
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
    _touch(shared)
    db.session.commit()
    return entry


def remove_entry(*, list_id: uuid.UUID, user_id: uuid.UUID, media_id: int) -> None:
    """Take a media off the list."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    entry = _locked_entry(shared.id, media_id)
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
