"""Events of the watchlist service: `media-entry-changed` out, `user-deleted` in.

Every change of an entry's status or rating queues one event in the transaction that
makes it; removing lists (by their owner or by account deletion) queues one per entry.
A personal list is changed only by its owner (or with the owner's account deletion),
so the person an entry counts for (`userId` of each side) and `actorId` are the owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from servicekit.consumer import Event
from servicekit.events import add_events, new_event
from servicekit.topics import MEDIA_ENTRY_CHANGED

from .models import Entry, WatchList, outbox

SOURCE = "watchlist"
EVENT_TYPE = "media.entry_changed"

State = dict[str, Any] | None


def entry_state(status: str | None, rating: int | None) -> dict[str, Any]:
    """The part of an entry the statistics care about."""
    return {"status": status, "rating": rating}


def _for(state: State, owner_id: uuid.UUID) -> State:
    return None if state is None else {**state, "userId": str(owner_id)}


def entry_changed(
    list_id: uuid.UUID, media_id: int, before: State, after: State, *, owner_id: uuid.UUID
) -> dict:
    """An outbox row for one entry's change (key: the media id, as the contract says)."""
    payload = new_event(
        EVENT_TYPE,
        source=SOURCE,
        actorId=str(owner_id),
        listId=str(list_id),
        mediaId=media_id,
        before=_for(before, owner_id),
        after=_for(after, owner_id),
    )
    return {"topic": MEDIA_ENTRY_CHANGED, "key": str(media_id), "payload": payload}


def queue_entry_changes(session: Session, rows: Iterable[dict]) -> None:
    """Write event rows into the outbox in the caller's transaction."""
    add_events(session, outbox, list(rows))


def remove_lists(session: Session, condition: ColumnElement[bool]) -> int:
    """Delete the lists matching `condition` with one removal event per entry.

    The lists are locked first, so an entry added meanwhile cannot vanish unannounced.
    """
    owners = dict(
        session.execute(
            select(WatchList.id, WatchList.owner_id)
            .where(condition)
            .order_by(WatchList.id)
            .with_for_update()
        ).all()
    )
    list_ids = list(owners)
    if not list_ids:
        return 0
    entries = session.execute(
        select(Entry.list_id, Entry.media_id, Entry.status, Entry.rating).where(
            Entry.list_id.in_(list_ids)
        )
    ).all()
    queue_entry_changes(
        session,
        (
            entry_changed(
                e.list_id,
                e.media_id,
                entry_state(e.status, e.rating),
                None,
                owner_id=owners[e.list_id],
            )
            for e in entries
        ),
    )
    session.execute(delete(WatchList).where(WatchList.id.in_(list_ids)))
    return len(list_ids)


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete the lists of deleted accounts; refuse events without a valid userId."""
    refused, user_ids = [], []
    for event in events:
        try:
            user_ids.append(uuid.UUID(str(event.body["userId"])))
        except (KeyError, ValueError):
            refused.append((event, "user.deleted without a valid userId"))
    if user_ids:
        remove_lists(session, WatchList.owner_id.in_(user_ids))
    return refused
