"""Membership of shared lists: inviting more, accepting, declining, leaving, removing, handing over.

The leave rules, also applied to deleted accounts: a leaving owner hands the list to
the longest-standing active member; a list left with nobody is deleted with its
events; a pending list (nobody ever accepted) whose last invite is declined, or whose
invitee's account goes, is deleted too. Every change locks the list's row first.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, exists, func, insert, or_, select

from servicekit.db import AnySession
from servicekit.errors import Conflict, Forbidden, NotFound, invalid
from servicekit.user_names import Names

from . import invitations
from .events import entry_events
from .models import ACTIVE, INVITED, PENDING, Membership, SharedList, db
from .services import delete_with_events, invited_to, locked_entries, membership, visible


def _owned(list_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool, doing: str) -> SharedList:
    """The owner's list; 403 for a member (who sees it), 404 for anyone else."""
    shared = visible(list_id=list_id, user_id=user_id, lock=lock)
    if shared.owner_id != user_id:
        raise Forbidden(f"Only the list's owner can {doing}.")
    return shared


def _people(session: AnySession, list_id: uuid.UUID) -> set[uuid.UUID]:
    rows = session.scalars(select(Membership.user_id).where(Membership.list_id == list_id))
    return set(rows)


def add_member(
    *, list_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[SharedList, Names | None]:
    """The owner invites one more friend; the names for the answer, if still complete.

    The user and friends services are asked before the list is locked, so a slow peer
    never holds up the list's other writers.
    """
    _owned(list_id, owner_id, lock=False, doing="invite people")
    before = _people(db.session, list_id)
    names = invitations.check_invitees(owner_id, [user_id], field="userId", others=list(before))
    shared = _owned(list_id, owner_id, lock=True, doing="invite people")
    existing = membership(list_id, user_id)
    if existing is not None:
        already = "a member of" if existing.state == ACTIVE else "already invited to"
        raise Conflict(f"This person is {already} the list.")
    invitations.invite(shared, [user_id])
    complete = _people(db.session, list_id) <= before | {user_id}
    db.session.commit()
    return shared, names if complete else None


def accept(*, list_id: uuid.UUID, user_id: uuid.UUID) -> SharedList:
    """The invitee joins; the list is active from its first member on."""
    shared, row = invited_to(list_id, user_id)
    row.state, row.joined_at = ACTIVE, func.now()
    shared.state = ACTIVE
    db.session.commit()
    return shared


def decline(*, list_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The invitee says no; a pending list with no invite left goes with its media.

    A pending list exists to be shared with its invitees: once the last says no, the
    owner would keep a "shared" list nobody is on, so it is deleted as before, with an
    `after: null` event for each entry the owner had already added.
    """
    shared, _ = invited_to(list_id, user_id)
    _drop_invite(db.session, shared, user_id)
    db.session.commit()


def leave(*, list_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The owner or a member leaves (see `remove_person`)."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    remove_person(db.session, shared, user_id)
    db.session.commit()


def remove_member(*, list_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The owner takes a member off or withdraws an invite; the list stays theirs.

    A withdrawn invite leaves even a pending list in place: the owner may invite others.
    """
    shared = _owned(list_id, owner_id, lock=True, doing="remove people")
    if user_id == owner_id:
        raise invalid("userId", "The owner cannot be removed; hand the list over or leave it.")
    gone = db.session.execute(
        delete(Membership).where(Membership.list_id == shared.id, Membership.user_id == user_id)
    )
    if gone.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("Nobody with this id is on the list or invited to it.")
    db.session.commit()


def hand_over(*, list_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID) -> SharedList:
    """The owner makes an active member the owner, and stays on as a member."""
    shared = _owned(list_id, owner_id, lock=True, doing="hand it over")
    if user_id == owner_id:
        raise invalid("userId", "You own this list already.")
    row = membership(list_id, user_id)
    if row is None:
        raise NotFound("Nobody with this id is on the list.")
    if row.state != ACTIVE:
        raise Conflict("Only a member who accepted the invite can become the owner.")
    _change_owner(db.session, shared, user_id, actor_id=owner_id)
    # The old owner has been on the list since it was made.
    db.session.execute(
        insert(Membership).values(
            list_id=shared.id,
            user_id=owner_id,
            state=ACTIVE,
            invited_at=shared.created_at,
            joined_at=shared.created_at,
        )
    )
    db.session.commit()
    return shared


def _change_owner(
    session: AnySession, shared: SharedList, new_owner: uuid.UUID, *, actor_id: uuid.UUID
) -> None:
    """The member `new_owner` owns the locked list; each entry now counts for them.

    The same events as a hand-over by leaving: one per entry, moving it from the old
    owner's statistics to the new owner's.
    """
    entry_events.owner_changed(
        session,
        locked_entries(session, shared),
        old_owner=shared.owner_id,
        new_owner=new_owner,
        actor_id=actor_id,
    )
    session.execute(
        delete(Membership).where(Membership.list_id == shared.id, Membership.user_id == new_owner)
    )
    shared.owner_id = new_owner
    session.flush()


def _drop_invite(session: AnySession, shared: SharedList, user_id: uuid.UUID) -> None:
    """Remove an invite; a pending list without another one is deleted."""
    session.execute(
        delete(Membership).where(Membership.list_id == shared.id, Membership.user_id == user_id)
    )
    others = session.scalar(
        select(exists().where(Membership.list_id == shared.id, Membership.state == INVITED))
    )
    if shared.state == PENDING and not others:
        delete_with_events(session, shared, actor_id=user_id)


def _successor(session: AnySession, shared: SharedList) -> uuid.UUID | None:
    """The longest-standing active member."""
    return session.scalar(
        select(Membership.user_id)
        .where(Membership.list_id == shared.id, Membership.state == ACTIVE)
        .order_by(Membership.joined_at, Membership.user_id)
        .limit(1)
    )


def remove_person(session: AnySession, shared: SharedList, user_id: uuid.UUID) -> None:
    """Take someone off a locked list by the leave rules (module docstring)."""
    if shared.owner_id == user_id:
        successor = _successor(session, shared)
        if successor is None:
            delete_with_events(session, shared, actor_id=user_id)
        else:
            _change_owner(session, shared, successor, actor_id=user_id)
        return
    row = session.scalars(
        select(Membership).where(Membership.list_id == shared.id, Membership.user_id == user_id)
    ).first()
    if row is not None and row.state == INVITED:
        _drop_invite(session, shared, user_id)
    elif row is not None:
        session.execute(
            delete(Membership).where(Membership.list_id == shared.id, Membership.user_id == user_id)
        )


def remove_user(session: AnySession, user_id: uuid.UUID) -> None:
    """Take a deleted account off every list it owns, is on or is invited to."""
    on_lists = select(Membership.list_id).where(Membership.user_id == user_id)
    lists = session.scalars(
        select(SharedList)
        .where(or_(SharedList.owner_id == user_id, SharedList.id.in_(on_lists)))
        .order_by(SharedList.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for shared in list(lists):
        remove_person(session, shared, user_id)
