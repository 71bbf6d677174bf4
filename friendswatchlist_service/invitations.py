"""Sending invites to a shared list: who may be invited, and the two limits on them.

An invite goes only to an existing user who is an accepted friend of the owner (asked
of the friends service, one call per invitee); a list holds at most `MAX_PEOPLE`
people, invites included; an owner has at most `MAX_PENDING_INVITES` unanswered
invites over all their lists. Both limits are counted under locks, so concurrent
invites cannot all pass them; the first is also a check in the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, insert, select

from servicekit.errors import Conflict, Forbidden, NotFound, invalid
from servicekit.user_names import Names, display_names

from . import friends
from .models import INVITED, MAX_PEOPLE, Membership, SharedList, db

MAX_PENDING_INVITES = 20


def check_invitees(
    owner_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    *,
    field: str,
    others: Sequence[uuid.UUID] = (),
) -> Names:
    """Names of the owner, invitees and `others`; 422 oneself, 404 unknown, 403 not a friend.

    503 when the user or friends service cannot tell: nobody is invited on a guess.
    """
    if owner_id in user_ids:
        raise invalid(field, "You cannot invite yourself.")
    # One call both proves the invitees exist and names everyone for the answer.
    names = display_names([owner_id, *user_ids, *others], strict=True)
    if any(user_id not in names.by_id for user_id in user_ids):
        raise NotFound("No user with this id.")
    for user_id in user_ids:
        if not friends.are_friends(owner_id, user_id):
            raise Forbidden("You can share a list only with an accepted friend.")
    return names


def reserve_invites(owner_id: uuid.UUID, count: int) -> None:
    """409 if `count` more would pass the owner's unanswered invites; holds their lock."""
    # Serialise one owner's invites until commit, so concurrent ones cannot all pass.
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(str(owner_id), 0))))
    waiting = (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .join(SharedList, SharedList.id == Membership.list_id)
            .where(SharedList.owner_id == owner_id, Membership.state == INVITED)
        )
        or 0
    )
    if waiting + count > MAX_PENDING_INVITES:
        raise Conflict(
            f"You have {waiting} unanswered invites (at most {MAX_PENDING_INVITES});"
            " wait for answers or withdraw some first."
        )


def invite(shared: SharedList, user_ids: Sequence[uuid.UUID]) -> None:
    """Invite these people to a list locked by the caller; 409 past `MAX_PEOPLE` in all."""
    if shared.people + 1 + len(user_ids) > MAX_PEOPLE:
        raise Conflict(
            f"A shared list holds at most {MAX_PEOPLE} people, the owner and invites included."
        )
    reserve_invites(shared.owner_id, len(user_ids))
    db.session.execute(
        insert(Membership),
        [{"list_id": shared.id, "user_id": user_id, "state": INVITED} for user_id in user_ids],
    )
