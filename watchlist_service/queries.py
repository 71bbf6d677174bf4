"""The watchlist service's reads: lists with their counts, one list's media, media counters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import with_expression

from servicekit.errors import NotFound, invalid
from servicekit.schemas import decode_cursor, encode_cursor

from .models import Entry, WatchList, db

NO_LIST = "No such watchlist."

_media_count = (
    select(func.count()).where(Entry.list_id == WatchList.id).correlate(WatchList).scalar_subquery()
)


@dataclass(frozen=True)
class ListSummary:
    """A list as a write answers it."""

    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    media_count: int


def owned(owner_id: uuid.UUID, list_id: uuid.UUID):
    """The condition "this list, owned by this user"."""
    return and_(WatchList.id == list_id, WatchList.owner_id == owner_id)


def owned_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> WatchList:
    """The caller's list with its media count; someone else's is as absent as a missing one."""
    found = db.session.scalars(
        select(WatchList)
        .where(owned(owner_id, list_id))
        .options(with_expression(WatchList.media_count, _media_count))
    ).first()
    if found is None:
        raise NotFound(NO_LIST)
    return found


def list_lists(
    *, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[WatchList], str | None]:
    """The caller's lists with their media counts, newest first, keyset-paged."""
    query = (
        select(WatchList)
        .where(WatchList.owner_id == owner_id)
        .options(with_expression(WatchList.media_count, _media_count))
    )
    if cursor:
        created, last_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(str(created)), uuid.UUID(str(last_id)))
        except ValueError:
            raise invalid("cursor", "Not a valid cursor.") from None
        query = query.where(tuple_(WatchList.created_at, WatchList.id) < after)
    order = (WatchList.created_at.desc(), WatchList.id.desc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].created_at.isoformat(), str(rows[-1].id)])
    return rows, next_cursor


def _utc_text(column) -> Any:
    # Formats like servicekit.schemas.UtcDateTime: milliseconds (truncated), then `Z`.
    return func.to_char(column.op("AT TIME ZONE")("UTC"), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


_entry_json = func.json_build_object(
    "mediaId",
    Entry.media_id,
    "status",
    Entry.status,
    "progress",
    Entry.progress,
    "rating",
    Entry.rating,
    "addedAt",
    _utc_text(Entry.added_at),
    "updatedAt",
    _utc_text(Entry.updated_at),
)


@dataclass(frozen=True)
class ListDetail(ListSummary):
    """A list as its owner sees it; `media_json` is its entries as a JSON array."""

    media_json: str


def get_list(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> ListDetail:
    """The caller's list and its entries, oldest addition first.

    PostgreSQL renders the entries as JSON, so a list of a thousand media costs about
    as much as a short one instead of a thousand Python objects.
    """
    w = db.session.scalars(select(WatchList).where(owned(owner_id, list_id))).first()
    if w is None:
        raise NotFound(NO_LIST)
    count, media = db.session.execute(
        select(
            func.count(),
            func.coalesce(
                func.json_agg(literal_column("entry_json")), literal_column("'[]'::json")
            ).cast(db.Text),
        ).select_from(
            select(_entry_json.label("entry_json"))
            .where(Entry.list_id == list_id)
            .order_by(Entry.added_at, Entry.media_id)
            .subquery()
        )
    ).one()
    return ListDetail(w.id, w.name, w.created_at, w.updated_at, count, media)


def media_counts(*, after: int, limit: int) -> tuple[list[dict[str, int]], int | None]:
    """Per-media counters over all entries, in media id order after `after`; one query."""

    def by_status(status: str):
        return func.count().filter(Entry.status == status)

    rows = db.session.execute(
        select(
            Entry.media_id,
            by_status("added"),
            by_status("watching"),
            by_status("watched"),
            by_status("on_hold"),
            by_status("dropped"),
            func.count(Entry.rating),
            func.coalesce(func.sum(Entry.rating), 0),
        )
        .where(Entry.media_id > after)
        .group_by(Entry.media_id)
        .order_by(Entry.media_id)
        .limit(limit + 1)
    ).all()
    names = ("mediaId", "added", "watching", "watched", "onHold", "dropped")
    items = [
        {**dict(zip(names, row[:6], strict=True)), "ratingCount": row[6], "ratingSum": int(row[7])}
        for row in rows[:limit]
    ]
    next_after = items[-1]["mediaId"] if len(rows) > limit else None
    return items, next_after


_STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
_STATUS_FIELDS = ("added", "watching", "watched", "onHold", "dropped")


def person_counts(*, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Per media after `after` (at most `limit`), per owner: entries per status and ratings.

    `ratings` holds `[rating, updatedAtEpoch]` for each entry carrying one, newest first:
    the statistics service counts people and rebuilds its counts from these.
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
            WatchList.owner_id,
            *(func.count().filter(Entry.status == s) for s in _STATUSES),
            func.array_agg(
                aggregate_order_by(
                    func.json_build_array(Entry.rating, func.extract("epoch", Entry.updated_at)),
                    Entry.updated_at.desc(),
                )
            ).filter(Entry.rating.is_not(None)),
        )
        .join(WatchList, WatchList.id == Entry.list_id)
        .where(Entry.media_id.in_(page))
        .group_by(Entry.media_id, WatchList.owner_id)
        .order_by(Entry.media_id, WatchList.owner_id)
    ).all()
    items: dict[int, dict[str, Any]] = {m: {"mediaId": m, "people": []} for m in page}
    for row in rows:
        counts = dict(zip(_STATUS_FIELDS, row[2:7], strict=True))
        ratings = [[r, float(t)] for r, t in (row[7] or [])]
        items[row[0]]["people"].append({"userId": str(row[1]), **counts, "ratings": ratings})
    return list(items.values()), page[-1] if len(media_ids) > limit else None
