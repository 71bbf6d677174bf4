"""Applying events to the feed's tables, in the consumer's transaction (exactly once).

Fan-out on write: an activity is written once and a feed row for each friend of the actor
goes with it, so reading a feed costs one index range whether the reader has 10 friends
or 500 (bench/activity_feed.py). The price is paid when people write or make friends: an
activity costs one row per friend, and a new friendship copies the latest
`BACKFILL` activities of each into the other's feed. Visibility is not fanned out: a
reader's page joins each activity's list and keeps what its visibility shows now, so a
list made private disappears from feeds at once and comes back if made visible again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from servicekit.contract import PUBLIC, deleted_user_ids
from servicekit.messages import Event, PoisonEvent

from .events import EntryChange, FriendshipChange, parse_entry_change, parse_friendship_change
from .models import ADDED, FINISHED, LIST_PUBLIC, RATED, STARTED

BACKFILL = 100  # a new friend's latest activities copied into the other's feed

_KIND_OF_STATUS = {"watching": STARTED, "watched": FINISHED}

_LOCK_LIST = text("SELECT visibility, changed_at FROM lists WHERE list_id = :list_id FOR UPDATE")
_UPSERT_LIST = text(
    "INSERT INTO lists (list_id, owner_id, visibility, changed_at)"
    " VALUES (:list_id, :owner_id, :visibility, :at)"
    " ON CONFLICT (list_id) DO UPDATE SET owner_id = excluded.owner_id,"
    " visibility = excluded.visibility, changed_at = excluded.changed_at"
    " WHERE lists.changed_at <= excluded.changed_at"
)
_INSERT_ACTIVITY = text(
    "INSERT INTO activities"
    " (actor_id, list_id, kind, media_type, media_id, status, rating, occurred_at)"
    " VALUES (:actor, :list_id, :kind, :media_type, :media_id, :status, :rating, :at)"
    " RETURNING id"
)
# the actor's friends now, as readers of the new activity
_FAN_OUT = text(
    "INSERT INTO feed (reader_id, occurred_at, activity_id)"
    " SELECT user_high, :at, :id FROM friend_pairs WHERE user_low = :actor AND friends"
    " UNION ALL"
    " SELECT user_low, :at, :id FROM friend_pairs WHERE user_high = :actor AND friends"
)
_TITLE_LEFT = text(
    "DELETE FROM activities WHERE list_id = :list_id AND media_id = :media_id"
    " AND media_type = :media_type"
)
_LOCK_PAIR = text(
    "SELECT friends, changed_at FROM friend_pairs"
    " WHERE user_low = :low AND user_high = :high FOR UPDATE"
)
_UPSERT_PAIR = text(
    "INSERT INTO friend_pairs (user_low, user_high, friends, changed_at)"
    " VALUES (:low, :high, :friends, :at)"
    " ON CONFLICT (user_low, user_high) DO UPDATE"
    " SET friends = excluded.friends, changed_at = excluded.changed_at"
)
_BACKFILL = text(
    "INSERT INTO feed (reader_id, occurred_at, activity_id)"
    " SELECT :reader, occurred_at, id FROM activities WHERE actor_id = :actor"
    " ORDER BY occurred_at DESC, id DESC LIMIT :n"
    " ON CONFLICT DO NOTHING"
)
_UNFOLLOW = text(
    "DELETE FROM feed f USING activities a"
    " WHERE f.reader_id = :reader AND a.id = f.activity_id AND a.actor_id = :actor"
)


def _kind(change: EntryChange, was_public: bool) -> str | None:
    """What the change shows friends, or None (removals, notes, progress, watches...)."""
    before, after = change.before, change.after
    if after is None:
        return None
    if before is None:
        return _KIND_OF_STATUS.get(after.status, ADDED)
    if after.status != before.status:
        return _KIND_OF_STATUS.get(after.status)
    if after.rating != before.rating and after.rating is not None:
        return RATED
    if after.visibility == PUBLIC and before.visibility != PUBLIC and not was_public:
        return LIST_PUBLIC  # once per list: its other entries' events find it public
    return None


def _apply_entry(session: Session, change: EntryChange) -> None:
    params = {
        "list_id": change.list_id,
        "media_type": change.media_type,
        "media_id": change.media_id,
    }
    after = change.after
    if after is None:
        session.execute(_TITLE_LEFT, params)  # a title leaving a list leaves the feeds
        return
    known = session.execute(_LOCK_LIST, params).first()
    newest = known is None or change.occurred_at >= known.changed_at
    was_public = known is not None and known.visibility == PUBLIC
    if newest:
        session.execute(
            _UPSERT_LIST,
            {
                **params,
                "owner_id": after.owner,
                "visibility": after.visibility,
                "at": change.occurred_at,
            },
        )
    kind = _kind(change, was_public or not newest)
    if kind is None:
        return
    title = kind != LIST_PUBLIC
    activity_id = session.execute(
        _INSERT_ACTIVITY,
        {
            "actor": change.actor,
            "list_id": change.list_id,
            "kind": kind,
            "media_type": change.media_type if title else None,
            "media_id": change.media_id if title else None,
            "status": after.status if title else None,
            "rating": after.rating if title else None,
            "at": change.occurred_at,
        },
    ).scalar_one()
    session.execute(_FAN_OUT, {"at": change.occurred_at, "id": activity_id, "actor": change.actor})


def _apply_friendship(session: Session, change: FriendshipChange) -> None:
    pair = {"low": change.user_low, "high": change.user_high}
    known = session.execute(_LOCK_PAIR, pair).first()
    if known is not None and change.occurred_at < known.changed_at:
        return  # an older event than the state we hold
    session.execute(_UPSERT_PAIR, {**pair, "friends": change.friends, "at": change.occurred_at})
    if known is not None and known.friends == change.friends:
        return
    for reader, actor in ((change.user_low, change.user_high), (change.user_high, change.user_low)):
        if change.friends:
            session.execute(_BACKFILL, {"reader": reader, "actor": actor, "n": BACKFILL})
        else:
            session.execute(_UNFOLLOW, {"reader": reader, "actor": actor})


def _each(session: Session, events: list[Event], parse, apply) -> list[tuple[Event, str]]:
    refused: list[tuple[Event, str]] = []
    for event in events:
        try:
            change = parse(event.body)
        except PoisonEvent as exc:
            refused.append((event, str(exc)))
            continue
        apply(session, change)
    return refused


def on_media_entry_changed(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Record what each change shows friends, and the visibility of its list."""
    return _each(session, events, parse_entry_change, _apply_entry)


def on_friendship_changed(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Follow friendships: a new one fills both feeds, an ended one empties them of each other."""
    return _each(session, events, parse_friendship_change, _apply_friendship)


def forget_users(session: Session, user_ids: list[uuid.UUID]) -> None:
    """Remove everything held about these people: their activity (and its feed rows),
    their feeds, their friendships and their lists."""
    ids = {"ids": user_ids}
    session.execute(text("DELETE FROM activities WHERE actor_id = ANY(:ids)"), ids)
    session.execute(text("DELETE FROM feed WHERE reader_id = ANY(:ids)"), ids)
    session.execute(
        text("DELETE FROM friend_pairs WHERE user_low = ANY(:ids) OR user_high = ANY(:ids)"), ids
    )
    session.execute(text("DELETE FROM lists WHERE owner_id = ANY(:ids)"), ids)


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """A deleted account's activity disappears from every feed."""
    user_ids, refused = deleted_user_ids(events)
    if user_ids:
        forget_users(session, user_ids)
    return refused
