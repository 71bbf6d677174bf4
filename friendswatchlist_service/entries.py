"""Media entries of shared lists and the per-media counts the statistics service reads."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.errors import Conflict, NotFound

from . import events
from .models import Entry, SharedList, db
from .schemas import MAX_MEDIA_ID
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
    events.entry_changed(
        db.session,
        list_id=shared.id,
        media_id=media_id,
        before=None,
        after=events.snapshot(entry),
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
    before = events.snapshot(entry)
    for name in ("status", "progress", "rating"):
        if name in changes:
            setattr(entry, name, changes[name])
    entry.updated_at = func.now()
    after = events.snapshot(entry)
    events.entry_changed(
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
    events.entry_changed(
        db.session,
        list_id=shared.id,
        media_id=media_id,
        before=events.snapshot(entry),
        after=None,
        owner_id=shared.owner_id,
        actor_id=user_id,
    )
    db.session.delete(entry)
    _touch(shared)
    db.session.commit()


def _count(status: str):
    return func.count().filter(Entry.status == status)


def media_counts(*, after: int, limit: int) -> tuple[list[dict[str, int]], int | None]:
    """Entries per media and status with rating count and sum, one GROUP BY per page."""
    rows = db.session.execute(
        select(
            Entry.media_id,
            _count("added"),
            _count("watching"),
            _count("watched"),
            _count("on_hold"),
            _count("dropped"),
            func.count(Entry.rating),
            func.coalesce(func.sum(Entry.rating), 0),
        )
        .where(Entry.media_id > after)
        .group_by(Entry.media_id)
        .order_by(Entry.media_id)
        .limit(limit)
    ).all()
    names = ("mediaId", "added", "watching", "watched", "onHold", "dropped")
    items = [
        {**dict(zip(names, row[:6], strict=True)), "ratingCount": row[6], "ratingSum": int(row[7])}
        for row in rows
    ]
    next_after = items[-1]["mediaId"] if len(items) == limit else None
    return items, next_after


_STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
_STATUS_FIELDS = ("added", "watching", "watched", "onHold", "dropped")


def person_counts(*, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Per media after `after` (at most `limit`), per list owner: entries per status, ratings.

    An entry counts for its list's current owner (pending lists included: their owner
    added the entries). `ratings` holds `[rating, updatedAtEpoch]` per rated entry.
    """
    media_ids = list(
        db.session.scalars(
            select(Entry.media_id)
            .where(Entry.media_id > after)
            .distinct()
            .order_by(Entry.media_id)
            .limit(limit + 1)
        )
    )
    page = media_ids[:limit]
    rows = db.session.execute(
        select(
            Entry.media_id,
            SharedList.owner_id,
            *(func.count().filter(Entry.status == s) for s in _STATUSES),
            func.array_agg(
                aggregate_order_by(
                    func.json_build_array(Entry.rating, func.extract("epoch", Entry.updated_at)),
                    Entry.updated_at.desc(),
                )
            ).filter(Entry.rating.is_not(None)),
        )
        .join(SharedList, SharedList.id == Entry.list_id)
        .where(Entry.media_id.in_(page))
        .group_by(Entry.media_id, SharedList.owner_id)
        .order_by(Entry.media_id, SharedList.owner_id)
    ).all()
    items: dict[int, dict[str, Any]] = {m: {"mediaId": m, "people": []} for m in page}
    for row in rows:
        counts = dict(zip(_STATUS_FIELDS, row[2:7], strict=True))
        ratings = [[r, float(t)] for r, t in (row[7] or [])]
        items[row[0]]["people"].append({"userId": str(row[1]), **counts, "ratings": ratings})
    return list(items.values()), page[-1] if len(media_ids) > limit else None
