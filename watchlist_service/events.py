"""Events this service produces: `media-entry-changed`, written to the outbox with the change.

Every change of an entry's status or rating queues one event in the transaction that
makes it; removing lists (by their owner or by account deletion) queues one per entry.
A personal list is changed only by its owner (or with the owner's account deletion),
so the person an entry counts for (`userId` of each side) and `actorId` are the owner.
Each side carries the list's `visibility` while that state held; a change of the list's
visibility re-announces every entry with sides that differ in visibility only. That is
also the list-level signal: no separate list event is sent (docs/api.md, Events).
"""

from __future__ import annotations

import uuid
from itertools import groupby

from sqlalchemy import ColumnElement, delete, select

from servicekit.contract import EntryEvents
from servicekit.db import AnySession

from .models import Entry, WatchList, outbox

entry_events = EntryEvents("watchlist", outbox)
_ENTRY_STATES = select(
    Entry.list_id,
    Entry.media_type,
    Entry.media_id,
    Entry.status,
    Entry.rating,
    Entry.times_watched,
).order_by(Entry.list_id, Entry.media_type, Entry.media_id)


def visibility_changed(
    session: AnySession, list_id: uuid.UUID, owner_id: uuid.UUID, *, before: str, after: str
) -> None:
    """Re-announce each entry of a list (locked by the caller) under its new visibility."""
    entries = session.execute(_ENTRY_STATES.where(Entry.list_id == list_id)).all()
    entry_events.visibility_changed(
        session, entries, owner_id=owner_id, actor_id=owner_id, before=before, after=after
    )


def remove_lists(session: AnySession, condition: ColumnElement[bool]) -> int:
    """Delete the lists matching `condition` with one removal event per entry.

    The lists are locked first, so an entry added meanwhile cannot vanish unannounced.
    """
    owners = {
        row.id: row
        for row in session.execute(
            select(WatchList.id, WatchList.owner_id, WatchList.visibility)
            .where(condition)
            .order_by(WatchList.id)
            .with_for_update()
        )
    }
    list_ids = list(owners)
    if not list_ids:
        return 0
    entries = session.execute(_ENTRY_STATES.where(Entry.list_id.in_(list_ids))).all()
    for list_id, of_list in groupby(entries, key=lambda e: e.list_id):
        owner = owners[list_id]
        entry_events.removed(
            session,
            of_list,
            owner_id=owner.owner_id,
            actor_id=owner.owner_id,
            visibility=owner.visibility,
        )
    session.execute(delete(WatchList).where(WatchList.id.in_(list_ids)))
    return len(list_ids)
