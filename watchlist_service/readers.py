"""Who may read a personal list: its owner always, others as its `visibility` allows.

`public` and `unlisted` lists are read by anyone (also without a token), `friends`
lists by the owner's accepted friends, `private` ones by the owner only; only `public`
(and, for a friend, `friends`) lists are listed under a person. A list the reader may
not see is as absent as a missing one (404, never 403). Friendship is asked of the
friends service at most once per request; while it is down a `friends` list is hidden
and the lists' answers say `degraded`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from servicekit.contract import FRIENDS_ONLY, PUBLIC, UNLISTED, VISIBILITIES
from servicekit.errors import NotFound, ServiceUnavailable
from servicekit.friendships import FriendshipCache
from servicekit.titles import OWNER_ONLY

from .models import WatchList
from .queries import NO_LIST

_friendships = FriendshipCache(ttl=5.0)
_BY_LINK = frozenset({PUBLIC, UNLISTED})
NOT_FRIENDS = "No friend with this id."
# Seconds a caller waits before asking again while friendship is unknown: the kit's
# breaker (servicekit/http.py) stays open about this long after repeated failures.
FRIENDS_RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Reader:
    """What one caller may read of one person's lists."""

    owner: bool
    visibilities: frozenset[str]  # of the lists shown to them by id
    listed: frozenset[str]  # of the lists shown to them under the person
    degraded: bool = False


_OWNER = Reader(True, frozenset(VISIBILITIES), frozenset(VISIBILITIES))
_STRANGER = Reader(False, _BY_LINK, frozenset({PUBLIC}))
_FRIEND = Reader(False, _BY_LINK | {FRIENDS_ONLY}, frozenset({PUBLIC, FRIENDS_ONLY}))
# What a friend finds listed under a person: the lists "we both want to watch" reads.
FRIEND_LISTED = _FRIEND.listed


def reader_of(owner: uuid.UUID, caller: uuid.UUID | None) -> Reader:
    """The caller's view of `owner`'s lists; a stranger's, marked degraded, while unknown."""
    if caller is None:
        return _STRANGER
    if caller == owner:
        return _OWNER
    try:
        return _FRIEND if _friendships.are_friends(caller, owner) else _STRANGER
    except ServiceUnavailable:
        return Reader(False, _STRANGER.visibilities, _STRANGER.listed, degraded=True)


def friend_reader(friend: uuid.UUID, caller: uuid.UUID) -> Reader:
    """A friend's view of `friend`'s lists, for answers that exist only between friends.

    404 for a stranger, an unknown id or the caller themself (nothing is revealed); 503
    with Retry-After while the friends service cannot tell, since no stranger's view
    would be a true answer.
    """
    if friend == caller:
        raise NotFound(NOT_FRIENDS)
    try:
        friends = _friendships.are_friends(caller, friend)
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(
            f"Friendship cannot be checked now: {exc.detail}", retry_after=FRIENDS_RETRY_AFTER_S
        ) from None
    if not friends:
        raise NotFound(NOT_FRIENDS)
    return _FRIEND


def readable(found: WatchList, caller: uuid.UUID | None) -> Reader:
    """The reader of a list found by id; 404 unless they may see it.

    Friendship is asked only for a `friends` list read by someone other than its owner.
    """
    if found.owner_id == caller:
        return _OWNER
    if found.visibility in _BY_LINK:
        return _STRANGER
    if found.visibility == FRIENDS_ONLY and caller is not None:
        reader = reader_of(found.owner_id, caller)
        if found.visibility in reader.visibilities:
            return reader
    raise NotFound(NO_LIST)


def for_reader(entries: list[dict[str, Any]], reader: Reader) -> list[dict[str, Any]]:
    """Entries as the reader sees them: without the owner-only fields for others."""
    if reader.owner:
        return entries
    return [{k: v for k, v in e.items() if k not in OWNER_ONLY} for e in entries]
