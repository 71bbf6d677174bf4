"""The shapes of shared lists in answers: people with their names, the list with its media.

Everyone an answer names is fetched in one batch call to the user service. `member`
and `invitee` keep the two-person contract readable: the first active member (by
joined time) and the earliest unanswered invite; `members` lists them all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from servicekit.keyset import MediaQuery
from servicekit.preconditions import tagged
from servicekit.user_names import Names, display_names

from . import services
from .models import ACTIVE, INVITED, Membership, SharedList


def degraded(body: dict[str, Any], names: Names) -> dict[str, Any]:
    """Mark an answer whose names could not all be fetched."""
    if names.degraded:
        body["degraded"] = True
    return body


def people(
    lists: Iterable[SharedList], members: dict[uuid.UUID, list[Membership]]
) -> list[uuid.UUID]:
    """Every owner and member of these lists, for one batch of names."""
    ids: list[uuid.UUID] = []
    for shared in lists:
        ids.append(shared.owner_id)
        ids.extend(row.user_id for row in members.get(shared.id, ()))
    return ids


def _member(row: Membership, names: Names) -> dict[str, Any]:
    person = names.person(row.user_id) or {}
    since = row.joined_at if row.state == ACTIVE else row.invited_at
    return {**person, "state": row.state, "since": since}


def summary(shared: SharedList, rows: list[Membership], names: Names) -> dict[str, Any]:
    """A list in the overview (`rows` in `services.members_of` order)."""
    active = [row.user_id for row in rows if row.state == ACTIVE]
    return {
        "listId": shared.id,
        "name": shared.name,
        "owner": names.person(shared.owner_id),
        "member": names.person(active[0]) if active else None,
        "members": [_member(row, names) for row in rows],
        "state": shared.state,
        "updatedAt": shared.updated_at,
    }


def summaries(lists: list[SharedList]) -> tuple[list[dict[str, Any]], Names]:
    """The overview's items and the names they were shaped with."""
    members = services.members_of(s.id for s in lists)
    names = display_names(people(lists, members))
    return [summary(s, members.get(s.id, []), names) for s in lists], names


def _invitee(rows: list[Membership]) -> uuid.UUID | None:
    waiting = [row for row in rows if row.state == INVITED]
    first = min(waiting, key=lambda row: (row.invited_at, str(row.user_id)), default=None)
    return first.user_id if first else None


def detail(shared: SharedList, names: Names | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """A list as one response, and its ETag: one batch call for the names unless known.

    A degraded answer (names missing) has no ETag, so that no client revalidates it into
    a lasting copy with the names missing.
    """
    version = shared.version
    rows = services.members_of([shared.id]).get(shared.id, [])
    if names is None:
        names = display_names(people([shared], {shared.id: rows}))
    media, next_cursor = services.media_page(shared.id, MediaQuery())
    body = summary(shared, rows, names)
    body.update(
        invitee=names.person(_invitee(rows)),
        createdAt=shared.created_at,
        mediaCount=services.media_count(shared.id),
        media=media,
        nextCursor=next_cursor,
    )
    return degraded(body, names), {} if names.degraded else tagged(version)
