"""Reading `media-entry-changed` events: what each one does to whom.

Statistics count people, not list entries (docs/statistics.md): each side of an event
names the person the entry counts for (`userId`, the list's owner). Events written
before `userId` existed lack it; such a side counts for a stand-in person per list
(`list:<listId>`), which is what those events meant (one entry per list and media),
so replaying an old topic gives the totals it always gave. Likewise an event without
`mediaType` (every event before titles were typed) is about a movie, a side without
`timesWatched` has 0 watches and one without `visibility` (on the side or the event) is
in a private list. `tally.apply` does
the counting; this module only validates and decodes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from servicekit.contract import (
    DEFAULT_MEDIA_TYPE,
    ENTRY_CHANGED_TYPE,
    MAX_MEDIA_ID,
    MAX_RATING,
    MEDIA_TYPES,
    MIN_MEDIA_ID,
    MIN_RATING,
    SOURCES,
    STATUSES,
)
from servicekit.messages import Event, PoisonEvent, is_int, occurred_at

from .tally import STATS_LOCK_ID, apply

# A list's visibility as events will carry it (issue 16); absent means private.
VISIBILITIES = ("private", "friends", "unlisted", "public")

__all__ = ["STATS_LOCK_ID", "Change", "Side", "on_media_entry_changed", "parse_change"]


@dataclass(frozen=True)
class Side:
    """One side of a change: whose entry, in which status, with which rating."""

    person: str
    status: str
    rating: int | None
    visibility: str = "private"  # of the entry's list; what per-person readers may see
    times_watched: int = 0


@dataclass(frozen=True)
class Change:
    """What one valid event says happened to one title."""

    media_id: int
    before: Side | None
    after: Side | None
    occurred_at: datetime
    media_type: str = DEFAULT_MEDIA_TYPE

    @property
    def title(self) -> tuple[int, str]:
        """The title's key as the tables order it: (media_id, media_type)."""
        return self.media_id, self.media_type


def _person(entry: dict[str, Any], body: dict[str, Any], name: str) -> str:
    user_id = entry.get("userId")
    if user_id is None:
        list_id = body.get("listId")
        if not isinstance(list_id, str) or not 0 < len(list_id) <= 64:
            raise PoisonEvent(f"{name} has no userId and the event no listId")
        return "list:" + list_id
    try:
        return str(uuid.UUID(str(user_id)))
    except ValueError:
        raise PoisonEvent(f"{name}.userId is not a UUID") from None


def _side(body: dict[str, Any], name: str) -> Side | None:
    entry = body[name]
    if entry is None:
        return None
    if not isinstance(entry, dict) or "status" not in entry or "rating" not in entry:
        raise PoisonEvent(f"{name} is not null or an object with status and rating")
    status, rating = entry["status"], entry["rating"]
    if status not in STATUSES:
        raise PoisonEvent(f"{name}.status is not one of {', '.join(STATUSES)}")
    if rating is not None and not (is_int(rating) and MIN_RATING <= rating <= MAX_RATING):
        raise PoisonEvent(f"{name}.rating is not null or an integer {MIN_RATING} to {MAX_RATING}")
    times_watched = entry.get("timesWatched", 0)
    if not (is_int(times_watched) and times_watched >= 0):
        raise PoisonEvent(f"{name}.timesWatched is not a non-negative integer")
    visibility = entry.get("visibility", body.get("visibility"))
    if visibility is not None and visibility not in VISIBILITIES:
        raise PoisonEvent(f"{name}.visibility is not one of {', '.join(VISIBILITIES)}")
    return Side(_person(entry, body, name), status, rating, visibility or "private", times_watched)


def parse_change(body: dict[str, Any]) -> Change:
    """The content of one event; PoisonEvent when it is not a valid `media.entry_changed`."""
    if body.get("type") != ENTRY_CHANGED_TYPE:
        raise PoisonEvent(f"type is not {ENTRY_CHANGED_TYPE}")
    missing = [k for k in ("occurredAt", "source", "mediaId", "before", "after") if k not in body]
    if missing:
        raise PoisonEvent(f"missing fields: {', '.join(missing)}")
    if body["source"] not in SOURCES:
        raise PoisonEvent(f"source is not one of {', '.join(SOURCES)}")
    media_id = body["mediaId"]
    if not (is_int(media_id) and MIN_MEDIA_ID <= media_id <= MAX_MEDIA_ID):
        raise PoisonEvent("mediaId is not a positive integer")
    media_type = body.get("mediaType")
    media_type = DEFAULT_MEDIA_TYPE if media_type is None else media_type
    if media_type not in MEDIA_TYPES:
        raise PoisonEvent(f"mediaType is not one of {', '.join(MEDIA_TYPES)}")
    occurred = occurred_at(body)
    if body["before"] is None and body["after"] is None:
        raise PoisonEvent("before and after are both null")
    before, after = _side(body, "before"), _side(body, "after")
    return Change(media_id, before, after, occurred, media_type)


def on_media_entry_changed(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Apply a batch of fresh events; return the invalid or inconsistent ones with a reason."""
    refused: list[tuple[Event, str]] = []
    changes: list[tuple[Event, Change]] = []
    for event in events:
        try:
            changes.append((event, parse_change(event.body)))
        except PoisonEvent as exc:
            refused.append((event, str(exc)))
    return refused + apply(session, changes)
