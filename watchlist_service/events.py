"""Events this service produces: `media-entry-changed`, written to the outbox with the change.

Every change of an entry's status or rating queues one event in the transaction that
makes it; removing lists (by their owner or by account deletion) queues one per entry.
A personal list is changed only by its owner (or with the owner's account deletion),
so the person an entry counts for (`userId` of each side) and `actorId` are the owner.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import ColumnElement, delete, select

from servicekit.contract import EntryEvents
from servicekit.db import AnySession

from .models import Entry, WatchList, outbox

entry_events = EntryEvents("watchlist", outbox)


def remove_lists(session: AnySession, condition: ColumnElement[bool]) -> int:
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
        select(
            Entry.list_id,
            Entry.media_type,
            Entry.media_id,
            Entry.status,
            Entry.rating,
            Entry.times_watched,
        )
        .where(Entry.list_id.in_(list_ids))
        .order_by(Entry.list_id)
    ).all()
    for list_id, of_list in groupby(entries, key=lambda e: e.list_id):
        owner = owners[list_id]
        entry_events.removed(session, of_list, owner_id=owner, actor_id=owner)
    session.execute(delete(WatchList).where(WatchList.id.in_(list_ids)))
    return len(list_ids)
