"""Titles two people both hold in one status: "we both want to watch".

One side is every list of the first person (`user_id`); the other only the lists of
`friend_id` that a friend finds listed under them (`friends` and `public`, see
readers.py): a `private` or `unlisted` list of the friend never counts. A title counts
once however many lists of either side hold it. One statement: an INTERSECT of the two
sides, each read through the lists' owner index and the entries' (list, status) index,
in (mediaType, mediaId) order and keyset-paged on that pair.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, intersect, select, tuple_

from servicekit.contract import MEDIA_TYPES
from servicekit.errors import invalid
from servicekit.schemas import decode_cursor, encode_cursor

from .models import Entry, WatchList, db
from .readers import FRIEND_LISTED

Title = tuple[str, int]  # (mediaType, mediaId)


@dataclass(frozen=True)
class CommonQuery:
    """Whose titles, in which status (and type), from where, how many."""

    user_id: uuid.UUID
    friend_id: uuid.UUID
    status: str = "added"
    media_type: str | None = None
    limit: int = 50
    after: Title | None = None


def _side(owner_id: uuid.UUID, visibilities: Collection[str] | None, query: CommonQuery) -> Select:
    side = (
        select(Entry.media_type, Entry.media_id)
        .join(WatchList, WatchList.id == Entry.list_id)
        .where(WatchList.owner_id == owner_id, Entry.status == query.status)
    )
    if visibilities is not None:
        side = side.where(WatchList.visibility.in_(sorted(visibilities)))
    if query.media_type is not None:
        side = side.where(Entry.media_type == query.media_type)
    if query.after is not None:
        side = side.where(tuple_(Entry.media_type, Entry.media_id) > query.after)
    return side


def statement(query: CommonQuery) -> Select[Any]:
    """The titles both hold, the first `limit + 1` after `after` (the extra: more exist)."""
    both = intersect(
        _side(query.user_id, None, query), _side(query.friend_id, FRIEND_LISTED, query)
    ).subquery()
    return (
        select(both.c.media_type, both.c.media_id)
        .order_by(both.c.media_type, both.c.media_id)
        .limit(query.limit + 1)
    )


def common_titles(query: CommonQuery) -> tuple[list[Title], bool]:
    """Up to `limit` titles both hold, and whether more follow."""
    rows = [(row[0], row[1]) for row in db.session.execute(statement(query))]
    return rows[: query.limit], len(rows) > query.limit


def _binding(status: str, media_type: str | None) -> list[Any]:
    return [status, media_type]


def _after(cursor: str | None, status: str, media_type: str | None) -> Title | None:
    """The title a cursor resumes after; 422 unless made for this status and type."""
    if not cursor:
        return None
    binding, key = decode_cursor(cursor, 2)
    if binding != _binding(status, media_type):
        raise invalid("cursor", "This cursor was made for other status or mediaType parameters.")
    if (
        not isinstance(key, list)
        or len(key) != 2
        or key[0] not in MEDIA_TYPES
        or not isinstance(key[1], int)
    ):
        raise invalid("cursor", "Not a valid cursor.")
    return key[0], key[1]


def common_page(
    *,
    user_id: uuid.UUID,
    friend_id: uuid.UUID,
    status: str,
    media_type: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the titles both hold, as the API shows them, and the next cursor."""
    after = _after(cursor, status, media_type)
    query = CommonQuery(user_id, friend_id, status, media_type, limit, after)
    titles, more = common_titles(query)
    items = [{"mediaType": t, "mediaId": i} for t, i in titles]
    next_cursor = None
    if more:
        next_cursor = encode_cursor([_binding(status, media_type), list(titles[-1])])
    return items, next_cursor
