"""Reading activity: a reader's feed and one person's activity, newest first, by keyset.

Both show an activity only where its list's visibility lets the reader in now: a friend
sees `friends` and `public` lists, anyone `public` ones, a person all of their own.
Unlisted lists ("anyone with the link") are never announced to others: a feed item
would hand out the link. Friendship is the service's own copy, kept from
`friendship-changed` events, so no request waits on the friends service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from servicekit.contract import FRIENDS_ONLY, PUBLIC, VISIBILITIES
from servicekit.errors import invalid
from servicekit.schemas import decode_cursor, encode_cursor

from .models import db

FOR_FRIENDS = (FRIENDS_ONLY, PUBLIC)
FOR_ANYONE = (PUBLIC,)

_COLUMNS = (
    "a.id, a.actor_id, a.list_id, a.kind, a.media_type, a.media_id, a.status, a.rating,"
    " a.occurred_at"
)
# `f.occurred_at` repeats the activity's time so the page is one range of the primary key
_FEED = f"""
SELECT {_COLUMNS} FROM feed f
JOIN activities a ON a.id = f.activity_id
JOIN lists l ON l.list_id = a.list_id
WHERE f.reader_id = :reader AND l.visibility IN ('{FRIENDS_ONLY}', '{PUBLIC}')
  AND (CAST(:after_at AS timestamptz) IS NULL
       OR (f.occurred_at, f.activity_id) < (:after_at, :after_id))
ORDER BY f.occurred_at DESC, f.activity_id DESC
LIMIT :limit
"""
_PERSON = f"""
SELECT {_COLUMNS} FROM activities a
JOIN lists l ON l.list_id = a.list_id
WHERE a.actor_id = :person AND l.visibility = ANY(:visibilities)
  AND (CAST(:after_at AS timestamptz) IS NULL
       OR (a.occurred_at, a.id) < (:after_at, :after_id))
ORDER BY a.occurred_at DESC, a.id DESC
LIMIT :limit
"""
_ARE_FRIENDS = text(
    "SELECT 1 FROM friend_pairs WHERE user_low = :low AND user_high = :high AND friends"
)


@dataclass(frozen=True)
class Item:
    """One activity as a page shows it."""

    activity_id: int
    actor_id: uuid.UUID
    list_id: uuid.UUID
    kind: str
    media_type: str | None
    media_id: int | None
    status: str | None
    rating: int | None
    occurred_at: datetime


def _position(cursor: str | None) -> dict[str, Any]:
    if cursor is None:
        return {"after_at": None, "after_id": None}
    at, activity_id = decode_cursor(cursor, 2)
    try:
        after_at = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        after_at = None
    if after_at is None or after_at.tzinfo is None or type(activity_id) is not int:
        raise invalid("cursor", "Not a valid cursor.")
    return {"after_at": after_at, "after_id": activity_id}


def _page(sql: Any, params: dict[str, Any], limit: int) -> tuple[list[Item], str | None]:
    rows = db.session.execute(sql, {**params, "limit": limit + 1}).all()
    items = [Item(*row) for row in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    last = items[-1]
    return items, encode_cursor([last.occurred_at.isoformat(), last.activity_id])


def friends_feed(
    *, reader: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Item], str | None]:
    """The reader's friends' activity that the reader may see now, newest first."""
    return _page(text(_FEED), {"reader": reader, **_position(cursor)}, limit)


def are_friends(a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether the two are friends, as the latest `friendship-changed` said."""
    low, high = sorted((a, b))
    return db.session.execute(_ARE_FRIENDS, {"low": low, "high": high}).first() is not None


def visible_to(person: uuid.UUID, reader: uuid.UUID | None) -> tuple[str, ...]:
    """The visibilities of `person`'s lists whose activity `reader` sees."""
    if reader == person:
        return VISIBILITIES
    if reader is not None and are_friends(person, reader):
        return FOR_FRIENDS
    return FOR_ANYONE


def person_activity(
    *, person: uuid.UUID, reader: uuid.UUID | None, limit: int, cursor: str | None
) -> tuple[list[Item], str | None]:
    """One person's activity that the reader may see now, newest first."""
    sql = text(_PERSON).bindparams(bindparam("visibilities", type_=ARRAY(String)))
    params = {"person": person, "visibilities": list(visible_to(person, reader))}
    return _page(sql, {**params, **_position(cursor)}, limit)
