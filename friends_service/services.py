"""The friends service's rules; no Flask request objects here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import and_, delete, func, literal, or_, select, tuple_, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.contract import ENDED, FRIENDS, friendship_changed
from servicekit.errors import Conflict, NotFound, invalid
from servicekit.events import add_events
from servicekit.schemas import decode_cursor, encode_cursor

from . import users
from .models import ACCEPTED, PENDING, Friendship, db, outbox

# Pending requests listed per direction; the contract's shape has no cursor for them.
MAX_LISTED_REQUESTS = 200
# A row that vanishes between our INSERT and our lock (withdrawn meanwhile) is retried.
_SEND_ATTEMPTS = 3


@dataclass
class Friend:
    """A friend of the caller, and since when."""

    user_id: uuid.UUID
    since: datetime
    display_name: str | None = None


@dataclass
class PendingRequest:
    """A pending request as seen by one side; `user_id` is the other person."""

    request_id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    display_name: str | None = None


def _announce(pairs, state: str, actor_id: uuid.UUID | None) -> None:
    """Queue one `friendship-changed` per pair in the caller's transaction (the outbox)."""
    rows = [friendship_changed(user_ids=pair, state=state, actor_id=actor_id) for pair in pairs]
    add_events(db.session, outbox, rows)


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    # Python orders UUIDs by their 128-bit value, as PostgreSQL does by bytes.
    return (a, b) if a < b else (b, a)


def _involves(user_id: uuid.UUID):
    return or_(Friendship.user_low == user_id, Friendship.user_high == user_id)


def _other(row: Friendship, user_id: uuid.UUID) -> uuid.UUID:
    return row.user_high if row.user_low == user_id else row.user_low


def friends_since(a: uuid.UUID, b: uuid.UUID) -> datetime | None:
    """When `a` and `b` became friends, or None when they are not (a pending request is not)."""
    low, high = _pair(a, b)
    return db.session.scalar(
        select(Friendship.accepted_at).where(
            Friendship.user_low == low,
            Friendship.user_high == high,
            Friendship.state == ACCEPTED,
        )
    )


def _friends_side(mine, other, user_id: uuid.UUID, after, limit: int):
    query = select(
        other.label("friend_id"), Friendship.accepted_at.label("since"), Friendship.id
    ).where(
        mine == user_id,
        # Inline, not bound: the planner must see the constant to use the partial index.
        Friendship.state == literal(ACCEPTED, literal_execute=True),
    )
    if after is not None:
        query = query.where(tuple_(Friendship.accepted_at, Friendship.id) > after)
    return query.order_by(Friendship.accepted_at, Friendship.id).limit(limit)


def _parse_friends_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    since, row_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(since)), uuid.UUID(str(row_id))
    except ValueError:
        raise invalid("cursor", "Not a valid cursor.") from None


def list_friends(
    *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Friend], str | None]:
    """The user's friends, oldest friendship first, keyset-paged by (since, id)."""
    after = _parse_friends_cursor(cursor) if cursor else None
    sides = union_all(
        _friends_side(Friendship.user_low, Friendship.user_high, user_id, after, limit + 1),
        _friends_side(Friendship.user_high, Friendship.user_low, user_id, after, limit + 1),
    ).subquery()
    rows = db.session.execute(
        select(sides).order_by(sides.c.since, sides.c.id).limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].since.isoformat(), str(rows[-1].id)])
    return [Friend(row.friend_id, row.since) for row in rows], next_cursor


def list_requests(*, user_id: uuid.UUID) -> tuple[list[PendingRequest], list[PendingRequest]]:
    """Pending requests to and from the user, newest first (at most 200 each way)."""

    def side(direction) -> list[PendingRequest]:
        rows = db.session.scalars(
            select(Friendship)
            .where(_involves(user_id), Friendship.state == PENDING, direction)
            .order_by(Friendship.created_at.desc(), Friendship.id.desc())
            .limit(MAX_LISTED_REQUESTS)
        )
        return [PendingRequest(r.id, _other(r, user_id), r.created_at) for r in rows]

    incoming = side(Friendship.requester_id != user_id)
    outgoing = side(Friendship.requester_id == user_id)
    return incoming, outgoing


def _accept_locked(row: Friendship, caller: uuid.UUID) -> Friend:
    # clock_timestamp, not now(): our transaction may have begun before the request's.
    since = db.session.execute(
        update(Friendship)
        .where(Friendship.id == row.id)
        .values(state=ACCEPTED, accepted_at=func.clock_timestamp())
        .returning(Friendship.accepted_at)
    ).scalar_one()
    _announce([(row.user_low, row.user_high)], FRIENDS, caller)
    db.session.commit()
    # set just now, so never null (the column is nullable for pending requests)
    return Friend(_other(row, caller), cast(datetime, since))


def _decide(row: Friendship, caller: uuid.UUID) -> Friend:
    """What asking means when the pair already has a row (which the caller has locked)."""
    if row.state == ACCEPTED:
        raise Conflict("You are already friends.")
    if row.requester_id == caller:
        raise Conflict("You have already asked this user.")
    return _accept_locked(row, caller)


def _locked_pair(low: uuid.UUID, high: uuid.UUID) -> Friendship | None:
    return db.session.scalars(
        select(Friendship)
        .where(Friendship.user_low == low, Friendship.user_high == high)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def send_request(*, caller: uuid.UUID, user_id: uuid.UUID) -> PendingRequest | Friend:
    """Ask `user_id` to be friends; if they had asked the caller, accept instead.

    Returns the new request, or the friendship when it accepted. Opposite requests
    racing each other end as one friendship: the pair's unique constraint lets one
    INSERT win, and the loser locks that row and accepts it.
    """
    if user_id == caller:
        raise invalid("userId", "You cannot befriend yourself.")
    low, high = _pair(caller, user_id)
    existing = _locked_pair(low, high)
    if existing is not None:
        return _decide(existing, caller)
    # Do not hold a row lock across a call to another service.
    db.session.rollback()
    users.require_user(user_id)
    for _ in range(_SEND_ATTEMPTS):
        created = db.session.execute(
            pg_insert(Friendship)
            .values(id=uuid.uuid4(), user_low=low, user_high=high, requester_id=caller)
            .on_conflict_do_nothing(index_elements=["user_low", "user_high"])
            .returning(Friendship.id, Friendship.created_at)
        ).first()
        if created is not None:
            db.session.commit()
            return PendingRequest(created.id, user_id, created.created_at)
        existing = _locked_pair(low, high)
        if existing is not None:
            return _decide(existing, caller)
    db.session.rollback()
    raise Conflict("The request changed while it was being sent; try again.")


def accept_request(*, caller: uuid.UUID, request_id: uuid.UUID) -> Friend:
    """Accept a request addressed to the caller; NotFound for any other request."""
    row = db.session.execute(
        update(Friendship)
        .where(_addressed_to(caller, request_id))
        .values(state=ACCEPTED, accepted_at=func.clock_timestamp())
        .returning(Friendship.requester_id, Friendship.accepted_at)
    ).first()
    if row is None:
        db.session.rollback()
        raise NotFound("No pending request with this id is addressed to you.")
    _announce([(row.requester_id, caller)], FRIENDS, caller)
    db.session.commit()
    return Friend(row.requester_id, row.accepted_at)


def _addressed_to(caller: uuid.UUID, request_id: uuid.UUID):
    return and_(
        Friendship.id == request_id,
        Friendship.state == PENDING,
        Friendship.requester_id != caller,
        _involves(caller),
    )


def decline_request(*, caller: uuid.UUID, request_id: uuid.UUID) -> None:
    """Decline (delete) a request addressed to the caller; NotFound for any other."""
    _delete_one(_addressed_to(caller, request_id), "addressed to you")


def withdraw_request(*, caller: uuid.UUID, request_id: uuid.UUID) -> None:
    """Withdraw a request the caller sent; NotFound for any other."""
    condition = and_(
        Friendship.id == request_id,
        Friendship.state == PENDING,
        Friendship.requester_id == caller,
    )
    _delete_one(condition, "sent by you")


def unfriend(*, caller: uuid.UUID, user_id: uuid.UUID) -> None:
    """End a friendship from either side; NotFound when the two are not friends."""
    low, high = _pair(caller, user_id)
    condition = and_(
        Friendship.user_low == low, Friendship.user_high == high, Friendship.state == ACCEPTED
    )
    if caller == user_id or not _delete(condition, ended_by=caller):
        raise NotFound("You are not friends with this user.")


def _delete(condition, *, ended_by: uuid.UUID | None = None) -> bool:
    """Delete the row `condition` matches; a friendship's end (`ended_by`) is announced."""
    gone = db.session.execute(
        delete(Friendship).where(condition).returning(Friendship.user_low, Friendship.user_high)
    ).first()
    if gone is not None and ended_by is not None:
        _announce([tuple(gone)], ENDED, ended_by)
    db.session.commit()
    return gone is not None


def _delete_one(condition, whose: str) -> None:
    if not _delete(condition):
        raise NotFound(f"No pending request with this id {whose}.")
