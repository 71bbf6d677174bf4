"""Reading the events the feed is made of: what each one says, or why it is refused.

Only what the feed needs is read, and checked strictly (a malformed event is dead-
lettered, never half applied): a `media.entry_changed` becomes an `EntryChange`, a
`friendship.changed` a `FriendshipChange`. Older events lack fields that came later:
no `mediaType` is a movie, no `visibility` a private list, no `actorId` the entry's owner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicekit.contract import (
    DEFAULT_MEDIA_TYPE,
    ENTRY_CHANGED_TYPE,
    FRIENDS,
    FRIENDSHIP_CHANGED_TYPE,
    FRIENDSHIP_STATES,
    MAX_MEDIA_ID,
    MAX_RATING,
    MEDIA_TYPES,
    MIN_MEDIA_ID,
    MIN_RATING,
    PRIVATE,
    SOURCES,
    STATUSES,
    VISIBILITIES,
)
from servicekit.messages import PoisonEvent, is_int, occurred_at


@dataclass(frozen=True)
class Side:
    """An entry as one side of a change left it."""

    owner: uuid.UUID
    status: str
    rating: int | None
    visibility: str


@dataclass(frozen=True)
class EntryChange:
    """One valid `media.entry_changed`."""

    list_id: uuid.UUID
    actor: uuid.UUID
    media_type: str
    media_id: int
    before: Side | None
    after: Side | None
    occurred_at: datetime


@dataclass(frozen=True)
class FriendshipChange:
    """One valid `friendship.changed`: the pair in canonical order and its new state."""

    user_low: uuid.UUID
    user_high: uuid.UUID
    friends: bool
    occurred_at: datetime


def _uuid(value: Any, name: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise PoisonEvent(f"{name} is not a UUID")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PoisonEvent(f"{name} is not a UUID") from None


def _side(body: dict[str, Any], name: str) -> Side | None:
    entry = body.get(name)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise PoisonEvent(f"{name} is not null or an object")
    status, rating = entry.get("status"), entry.get("rating")
    if status not in STATUSES:
        raise PoisonEvent(f"{name}.status is not one of {', '.join(STATUSES)}")
    if rating is not None and not (is_int(rating) and MIN_RATING <= rating <= MAX_RATING):
        raise PoisonEvent(f"{name}.rating is not null or an integer {MIN_RATING} to {MAX_RATING}")
    visibility = entry.get("visibility", body.get("visibility")) or PRIVATE
    if visibility not in VISIBILITIES:
        raise PoisonEvent(f"{name}.visibility is not one of {', '.join(VISIBILITIES)}")
    if "userId" not in entry:
        raise PoisonEvent(f"{name} has no userId")
    return Side(_uuid(entry["userId"], f"{name}.userId"), status, rating, visibility)


def parse_entry_change(body: dict[str, Any]) -> EntryChange:
    """The change one event describes; PoisonEvent when it is not a valid one."""
    if body.get("type") != ENTRY_CHANGED_TYPE:
        raise PoisonEvent(f"type is not {ENTRY_CHANGED_TYPE}")
    if body.get("source") not in SOURCES:
        raise PoisonEvent(f"source is not one of {', '.join(SOURCES)}")
    media_id = body.get("mediaId")
    if not (is_int(media_id) and MIN_MEDIA_ID <= media_id <= MAX_MEDIA_ID):
        raise PoisonEvent("mediaId is not a positive integer")
    media_type = body.get("mediaType") or DEFAULT_MEDIA_TYPE
    if media_type not in MEDIA_TYPES:
        raise PoisonEvent(f"mediaType is not one of {', '.join(MEDIA_TYPES)}")
    before, after = _side(body, "before"), _side(body, "after")
    if before is None and after is None:
        raise PoisonEvent("before and after are both null")
    owner = (after or before).owner  # type: ignore[union-attr]
    actor = _uuid(body["actorId"], "actorId") if body.get("actorId") is not None else owner
    return EntryChange(
        list_id=_uuid(body.get("listId"), "listId"),
        actor=actor,
        media_type=media_type,
        media_id=media_id,
        before=before,
        after=after,
        occurred_at=occurred_at(body),
    )


def parse_friendship_change(body: dict[str, Any]) -> FriendshipChange:
    """The pair and state one event describes; PoisonEvent when it is not a valid one."""
    if body.get("type") != FRIENDSHIP_CHANGED_TYPE:
        raise PoisonEvent(f"type is not {FRIENDSHIP_CHANGED_TYPE}")
    if body.get("state") not in FRIENDSHIP_STATES:
        raise PoisonEvent(f"state is not one of {', '.join(FRIENDSHIP_STATES)}")
    pair = body.get("userIds")
    if not isinstance(pair, list) or len(pair) != 2:
        raise PoisonEvent("userIds is not a list of two user ids")
    low, high = sorted(_uuid(u, "userIds") for u in pair)
    if low == high:
        raise PoisonEvent("userIds names one person twice")
    return FriendshipChange(low, high, body["state"] == FRIENDS, occurred_at(body))
