"""The event contract (docs/api.md, "Events (Kafka)"): names, value ranges and builders.

Producers build their events here, so a field is named and shaped in one place;
consumers read what they need themselves and take only the constants from here (each
consumer decides how tolerant it is). Builders take keyword arguments only; a field
added later is an optional keyword left out of the body when None, so adding one is
additive: existing callers write the events they wrote, consumers ignore a new key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Table

from .db import AnySession
from .events import add_events, new_event
from .messages import Event

# Topics, as the broker names them (before a test's prefix).
MEDIA_ENTRY_CHANGED = "media-entry-changed"
USER_DELETED = "user-deleted"
FRIENDSHIP_CHANGED = "friendship-changed"
TOPICS = (MEDIA_ENTRY_CHANGED, USER_DELETED, FRIENDSHIP_CHANGED)

# Event types, in each body's `type`.
ENTRY_CHANGED_TYPE = "media.entry_changed"
USER_DELETED_TYPE = "user.deleted"
FRIENDSHIP_CHANGED_TYPE = "friendship.changed"

# A `friendship.changed` event's `state`: the two became friends, or stopped being friends.
FRIENDS, ENDED = "friends", "ended"
FRIENDSHIP_STATES = (FRIENDS, ENDED)

# The services that produce `media.entry_changed` (its `source`).
SOURCES = ("watchlist", "friendswatchlist")

# What a title is (`mediaType`); an event without one is about a movie.
MEDIA_TYPES = ("movie", "tv")
DEFAULT_MEDIA_TYPE = "movie"

STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
# The same statuses as the internal count endpoints spell their fields.
STATUS_FIELDS = ("added", "watching", "watched", "onHold", "dropped")
MIN_RATING, MAX_RATING = 1, 10
# Who may read a personal list (and so whose per-person figures an entry counts in);
# each side of a `media.entry_changed` event may carry it; absent means private.
PRIVATE, FRIENDS_ONLY, UNLISTED, PUBLIC = "private", "friends", "unlisted", "public"
VISIBILITIES = (PRIVATE, FRIENDS_ONLY, UNLISTED, PUBLIC)
MIN_MEDIA_ID, MAX_MEDIA_ID = 1, 2**63 - 1  # a positive BIGINT

OutboxRow = dict[str, Any]
"""An event ready for `servicekit.events.add_events`: `topic`, `key` and `payload`."""


def entry_state(
    status: str, rating: int | None, times_watched: int | None = None
) -> dict[str, Any]:
    """The part of an entry the statistics follow: status, rating (and `timesWatched`).

    `timesWatched` is additive: left out when None, so a state without it is as before.
    """
    state: dict[str, Any] = {"status": status, "rating": rating}
    if times_watched is not None:
        state["timesWatched"] = times_watched
    return state


def _side(
    state: dict[str, Any] | None, user_id: uuid.UUID, visibility: str | None
) -> dict[str, Any] | None:
    # Each side names the person the entry counts for (the list's owner at that moment)
    # and, when the producer knows it, who could read the list while that state held.
    if state is None:
        return None
    seen = {} if visibility is None else {"visibility": visibility}
    return {**state, "userId": str(user_id), **seen}


def media_entry_changed(
    *,
    source: str,
    list_id: uuid.UUID,
    media_id: int,
    actor_id: uuid.UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    before_user_id: uuid.UUID,
    after_user_id: uuid.UUID | None = None,
    media_type: str | None = None,
    before_visibility: str | None = None,
    after_visibility: str | None = None,
) -> OutboxRow:
    """One entry's change: `before`/`after` are `entry_state`s or None (added, removed).

    `before_user_id` is whom the entry counted for, `after_user_id` whom it counts for
    now (the same person unless the list changed hands). `media_type` (one of
    MEDIA_TYPES) is left out when None; consumers then read the title as a movie. Keyed
    by the media id, so one media's events stay in order on one partition. The
    visibilities (of VISIBILITIES) are the list's on each side, left out when None (the
    shared lists, which have none: consumers read them as private).
    """
    for visibility in (before_visibility, after_visibility):
        if visibility is not None and visibility not in VISIBILITIES:
            raise ValueError(f"visibility is not one of {', '.join(VISIBILITIES)}")
    if media_type is not None and media_type not in MEDIA_TYPES:
        raise ValueError(f"media_type is not one of {', '.join(MEDIA_TYPES)}")
    typed = {} if media_type is None else {"mediaType": media_type}
    payload = new_event(
        ENTRY_CHANGED_TYPE,
        source=source,
        actorId=str(actor_id),
        listId=str(list_id),
        mediaId=media_id,
        **typed,
        before=_side(before, before_user_id, before_visibility),
        after=_side(after, after_user_id or before_user_id, after_visibility or before_visibility),
    )
    return {"topic": MEDIA_ENTRY_CHANGED, "key": str(media_id), "payload": payload}


class ListEntry(Protocol):
    """What the events read of a list entry (a model instance or a result row)."""

    @property
    def list_id(self) -> uuid.UUID: ...
    @property
    def media_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def media_type(self) -> str: ...
    @property
    def times_watched(self) -> int: ...


class EntryEvents:
    """The `media-entry-changed` events of one list service, queued in its outbox."""

    def __init__(self, source: str, outbox: Table):
        self.source = source
        self._outbox = outbox

    def changed(
        self,
        session: AnySession,
        *,
        list_id: uuid.UUID,
        media_id: int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        owner_id: uuid.UUID,
        actor_id: uuid.UUID,
        media_type: str | None = None,
        visibility: str | None = None,
    ) -> None:
        """Queue one change in the caller's transaction; nothing when the state held.

        `visibility`, the list's, goes on both sides: it did not change with the entry.
        """
        if before == after:
            return
        row = media_entry_changed(
            source=self.source,
            list_id=list_id,
            media_id=media_id,
            actor_id=actor_id,
            before=before,
            after=after,
            before_user_id=owner_id,
            media_type=media_type,
            before_visibility=visibility,
        )
        add_events(session, self._outbox, [row])

    def removed(
        self,
        session: AnySession,
        entries: Iterable[ListEntry],
        *,
        owner_id: uuid.UUID,
        actor_id: uuid.UUID,
        visibility: str | None = None,
    ) -> None:
        """Queue an `after: null` event for each entry of a list being deleted."""
        self._each(session, entries, actor_id, owner_id, None, (visibility, None))

    def visibility_changed(
        self,
        session: AnySession,
        entries: Iterable[ListEntry],
        *,
        owner_id: uuid.UUID,
        actor_id: uuid.UUID,
        before: str,
        after: str,
    ) -> None:
        """Queue, per entry, an event whose sides differ in `visibility` only."""
        self._each(session, entries, actor_id, owner_id, owner_id, (before, after))

    def owner_changed(
        self,
        session: AnySession,
        entries: Iterable[ListEntry],
        *,
        old_owner: uuid.UUID,
        new_owner: uuid.UUID,
        actor_id: uuid.UUID,
    ) -> None:
        """Queue, per entry, its move from the old owner's counts to the new owner's."""
        self._each(session, entries, actor_id, old_owner, new_owner, (None, None))

    def _each(
        self,
        session: AnySession,
        entries: Iterable[ListEntry],
        actor_id: uuid.UUID,
        owner_id: uuid.UUID,
        new_owner: uuid.UUID | None,
        visibilities: tuple[str | None, str | None],
    ) -> None:
        rows = []
        for e in entries:
            state = entry_state(e.status, e.rating, e.times_watched)
            rows.append(
                media_entry_changed(
                    source=self.source,
                    list_id=e.list_id,
                    media_id=e.media_id,
                    media_type=e.media_type,
                    actor_id=actor_id,
                    before=state,
                    after=None if new_owner is None else state,
                    before_user_id=owner_id,
                    after_user_id=new_owner,
                    before_visibility=visibilities[0],
                    after_visibility=visibilities[1],
                )
            )
        add_events(session, self._outbox, rows)


def user_deleted(*, user_id: uuid.UUID) -> OutboxRow:
    """An account is gone: every service forgets what it holds of this user."""
    payload = new_event(USER_DELETED_TYPE, userId=str(user_id))
    return {"topic": USER_DELETED, "key": str(user_id), "payload": payload}


def friendship_changed(
    *, user_ids: tuple[uuid.UUID, uuid.UUID], state: str, actor_id: uuid.UUID | None = None
) -> OutboxRow:
    """Two people became friends (`FRIENDS`) or stopped being friends (`ENDED`).

    `userIds` is the pair in canonical order (as the friends service stores it), which is
    also the key, so one pair's events stay in order on one partition. `actorId`, who
    accepted or ended it, is left out when no one did (an account deletion ended it).
    """
    if state not in FRIENDSHIP_STATES:
        raise ValueError(f"unknown friendship state {state!r}")
    low, high = sorted(user_ids)
    fields: dict[str, Any] = {"userIds": [str(low), str(high)], "state": state}
    if actor_id is not None:
        fields["actorId"] = str(actor_id)
    payload = new_event(FRIENDSHIP_CHANGED_TYPE, **fields)
    return {"topic": FRIENDSHIP_CHANGED, "key": f"{low}:{high}", "payload": payload}


def deleted_user_ids(events: Iterable[Event]) -> tuple[list[uuid.UUID], list[tuple[Event, str]]]:
    """The user ids of `user.deleted` events, and the events refused for lacking a valid one."""
    user_ids: list[uuid.UUID] = []
    refused: list[tuple[Event, str]] = []
    for event in events:
        try:
            user_ids.append(uuid.UUID(str(event.body["userId"])))
        except (KeyError, ValueError):
            refused.append((event, "user.deleted without a valid userId"))
    return user_ids, refused
