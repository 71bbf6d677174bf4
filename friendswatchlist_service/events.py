"""Events this service produces: `media-entry-changed`, written to the outbox with the change.

Each side of an event names the person the entry counts for in the statistics
(`userId`: the list's current owner) and the event names who made the change
(`actorId`); a hand-over of the list changes only the person, so it is an event too.
"""

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


def _for(state: Snapshot, person: uuid.UUID) -> Snapshot:
    return None if state is None else {**state, "userId": str(person)}


def _row(
    list_id: uuid.UUID,
    media_id: int,
    before: Snapshot,
    after: Snapshot,
    *,
    owners: tuple[uuid.UUID, uuid.UUID],
    actor_id: uuid.UUID,
) -> dict:
    payload = new_event(
        EVENT_TYPE,
        source=SOURCE,
        actorId=str(actor_id),
        listId=str(list_id),
        mediaId=media_id,
        before=_for(before, owners[0]),
        after=_for(after, owners[1]),
    )
    return {"topic": MEDIA_ENTRY_CHANGED, "key": str(media_id), "payload": payload}


def entry_changed(
    session: Session,
    *,
    list_id: uuid.UUID,
    media_id: int,
    before: Snapshot,
    after: Snapshot,
    owner_id: uuid.UUID,
    actor_id: uuid.UUID,
) -> None:
    """Queue one change in the caller's transaction; nothing when status and rating held."""
    if before == after:
        return
    row = _row(list_id, media_id, before, after, owners=(owner_id, owner_id), actor_id=actor_id)
    add_event(session, outbox, **row)


def entries_removed(
    session: Session, entries: list[Entry], *, owner_id: uuid.UUID, actor_id: uuid.UUID
) -> None:
    """Queue an `after: null` event for each entry of a list being deleted."""
    owners = (owner_id, owner_id)
    rows = [
        _row(e.list_id, e.media_id, snapshot(e), None, owners=owners, actor_id=actor_id)
        for e in entries
    ]
    add_events(session, outbox, rows)


def owner_changed(
    session: Session,
    entries: list[Entry],
    *,
    old_owner: uuid.UUID,
    new_owner: uuid.UUID,
    actor_id: uuid.UUID,
) -> None:
    """Queue, per entry, its move from the old owner's counts to the new owner's."""
    owners = (old_owner, new_owner)
    rows = [
        _row(e.list_id, e.media_id, snapshot(e), snapshot(e), owners=owners, actor_id=actor_id)
        for e in entries
    ]
    add_events(session, outbox, rows)
