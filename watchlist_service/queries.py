"""The watchlist service's reads: lists with their counts, one list's media, media counters."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, null, select, tuple_
from sqlalchemy.orm import with_expression

from servicekit.errors import NotFound, invalid
from servicekit.keyset import MediaQuery, next_cursor, page_statement, sort_key
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
    visibility: str
    created_at: datetime
    updated_at: datetime
    media_count: int
    version: int


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
    *,
    owner_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    visibilities: Collection[str] | None = None,
) -> tuple[list[WatchList], str | None]:
    """The owner's lists (of those `visibilities`, else all) with their counts, newest first."""
    query = (
        select(WatchList)
        .where(WatchList.owner_id == owner_id)
        .options(with_expression(WatchList.media_count, _media_count))
    )
    if visibilities is not None:
        query = query.where(WatchList.visibility.in_(sorted(visibilities)))
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


_episode_json = case(
    (
        Entry.season.is_not(None),
        func.json_build_object("season", Entry.season, "episode", Entry.episode),
    ),
    else_=null(),
)

# The same fields as schemas.EntryOut; `notes` are for owner and members (titles.OWNER_ONLY).
_entry_json = func.json_build_object(
    "mediaType",
    Entry.media_type,
    "mediaId",
    Entry.media_id,
    "status",
    Entry.status,
    "progress",
    Entry.progress,
    "episodeProgress",
    _episode_json,
    "rating",
    Entry.rating,
    "notes",
    Entry.notes,
    "timesWatched",
    Entry.times_watched,
    "lastWatchedAt",
    _utc_text(Entry.last_watched_at),
    "addedAt",
    _utc_text(Entry.added_at),
    "updatedAt",
    _utc_text(Entry.updated_at),
    "etag",
    func.format('"%s"', Entry.version),
)


@dataclass(frozen=True)
class ListDetail(ListSummary):
    """A list as its owner sees it: the first page of its media, as the API shows them."""

    media: list[dict[str, Any]]
    next_cursor: str | None


def list_row(*, owner_id: uuid.UUID, list_id: uuid.UUID) -> WatchList:
    """The caller's list row (its version decides a 304 before any entry is read)."""
    w = db.session.scalars(select(WatchList).where(owned(owner_id, list_id))).first()
    if w is None:
        raise NotFound(NO_LIST)
    return w


def any_list_row(list_id: uuid.UUID) -> WatchList | None:
    """Anyone's list row by id, for the reader rules (readers.readable) to judge."""
    return db.session.get(WatchList, list_id)


def media_page(*, list_id: uuid.UUID, query: MediaQuery) -> tuple[list[dict], str | None]:
    """One keyset page of a list's entries, shaped by PostgreSQL as the API shows them.

    The caller has checked that the reader may see the list (`list_row`, `readers`).
    """
    statement = select(
        _entry_json, sort_key(Entry, query.sort), Entry.media_id, Entry.media_type
    ).where(Entry.list_id == list_id)
    rows, cursor = next_cursor(
        db.session.execute(page_statement(statement, Entry, query)).all(), query
    )
    return [row[0] for row in rows], cursor


def get_list(w: WatchList) -> ListDetail:
    """A list (read by `list_row`) with its media count and the first page of its media.

    Read after the row, the entries are at least as new as its version: an answer's
    ETag can be older than its body (a later If-Match is then refused), never newer.
    """
    count = db.session.scalar(select(func.count()).where(Entry.list_id == w.id)) or 0
    media, cursor = media_page(list_id=w.id, query=MediaQuery())
    return ListDetail(
        w.id, w.name, w.visibility, w.created_at, w.updated_at, count, w.version, media, cursor
    )
