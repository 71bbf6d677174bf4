"""A shared list made from the titles two friends have in common (`fromCommon`).

`POST /friendswatchlists` with `{"name"?, "fromCommon": {"friendId", "status"}}` asks
the watchlist service which titles the owner and the friend both hold in `status` (its
`/internal/common`, counting the owner's every list and the friend's `friends` and
`public` ones, as `GET /friends/{userId}/common` does), then creates the list and its
invite as any create does (services.create_list: the same friendship checks) and adds
those titles in the same transaction, each with its `media-entry-changed` event.

The titles are asked for before anything is written: while the watchlist service cannot
answer the request is 503 and nothing is created. At most `MAX_COMMON_TITLES` are
added, the first in (mediaType, mediaId) order; the rest are left out (the owner adds
them by hand). In the shared list every title is `added`, whatever status it was
common in: the list is what the two mean to watch together, and a watch one of them
made alone is not a watch of the shared list.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import MAX_MEDIA_ID, MEDIA_TYPES, entry_state
from servicekit.errors import ServiceUnavailable, invalid
from servicekit.http import service_client
from servicekit.user_names import Names

from . import services
from .entries import _announce
from .models import Entry, SharedList, db

DEFAULT_NAME = "We both want to watch"
MAX_COMMON_TITLES = 1000
_ADDED = "added"

Title = tuple[str, int]


def _title(item: Any) -> Title:
    media_type, media_id = item["mediaType"], item["mediaId"]
    if media_type not in MEDIA_TYPES or not isinstance(media_id, int):
        raise ValueError(item)
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise ValueError(item)
    return media_type, media_id


def common_titles(owner_id: uuid.UUID, friend_id: uuid.UUID, status: str) -> list[Title]:
    """The titles both hold in `status` (at most MAX_COMMON_TITLES); raises ServiceUnavailable."""
    params = {
        "userId": str(owner_id),
        "friendId": str(friend_id),
        "status": status,
        "limit": MAX_COMMON_TITLES,
    }
    response = service_client().get("watchlist", "/internal/common", params=params)
    if response.status_code != 200:
        raise ServiceUnavailable(f"The watchlist service answered {response.status_code}.")
    try:
        return [_title(item) for item in response.json()["items"]]
    except (ValueError, KeyError, TypeError):
        raise ServiceUnavailable("The watchlist service gave an unreadable answer.") from None


def _fill(shared: SharedList, titles: list[Title], actor_id: uuid.UUID) -> None:
    """Add the titles to the new (unflushed) list, one statement, one event each."""
    if not titles:
        return
    db.session.flush()
    rows = [
        {"list_id": shared.id, "media_type": t, "media_id": i, "status": _ADDED, "version": 1}
        for t, i in titles
    ]
    db.session.execute(pg_insert(Entry).values(rows))
    after = entry_state(_ADDED, None, 0)
    for media_type, media_id in titles:
        _announce(shared, (shared.id, media_type, media_id), actor_id, None, after)


def create_from_common(
    *, owner_id: uuid.UUID, from_common: dict[str, Any], name: str | None
) -> tuple[SharedList, Names]:
    """A pending list inviting the friend, holding the titles the two have in common."""
    friend_id = from_common["friendId"]
    if friend_id == owner_id:
        raise invalid("fromCommon.friendId", "You cannot invite yourself.")
    titles = common_titles(owner_id, friend_id, from_common["status"])
    return services.create_list(
        owner_id=owner_id,
        friend_id=friend_id,
        name=name or DEFAULT_NAME,
        fill=lambda shared: _fill(shared, titles, owner_id),
    )
