"""Events this service produces: `media-entry-changed`, written to the outbox with the change."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from servicekit.events import add_event, add_events, new_event
from servicekit.topics import MEDIA_ENTRY_CHANGED

from .models import Entry, outbox

SOURCE = "friendswatchlist"
EVENT_TYPE = "media.entry_changed"

Snapshot = dict | None


def snapshot(entry: Entry) -> dict:
    """The part of an entry the statistics follow: status and rating."""
    return {"status": entry.status, "rating": entry.rating}


def _row(list_id: uuid.UUID, media_id: int, before: Snapshot, after: Snapshot) -> dict:
    payload = new_event(
        EVENT_TYPE,
        source=SOURCE,
        listId=str(list_id),
        mediaId=media_id,
        before=before,
        after=after,
    )
    return {"topic": MEDIA_ENTRY_CHANGED, "key": str(media_id), "payload": payload}


def entry_changed(
    session: Session, *, list_id: uuid.UUID, media_id: int, before: Snapshot, after: Snapshot
) -> None:
    """Queue one change in the caller's transaction; nothing when status and rating held."""
    if before == after:
        return
    add_event(session, outbox, **_row(list_id, media_id, before, after))


def entries_removed(session: Session, entries: list[Entry]) -> None:
    """Queue an `after: null` event for each entry of a list being deleted."""
    add_events(session, outbox, [_row(e.list_id, e.media_id, snapshot(e), None) for e in entries])
