"""Rules of shared lists: who sees which, pages, creating, renaming, deleting.

Membership (accepting, leaving, removing, handing over) is in members.py; no Flask
request objects here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, tuple_

from servicekit.db import AnySession
from servicekit.errors import Forbidden, NotFound, PreconditionFailed, invalid
from servicekit.keyset import MediaQuery, next_cursor, page_statement, sort_key
from servicekit.preconditions import ANY_VERSION, IfMatch
from servicekit.schemas import decode_cursor, encode_cursor
from servicekit.user_names import Names

from . import invitations
from .events import entry_events
from .models import ACTIVE, INVITED, PENDING, Entry, Membership, SharedList, db


def _cursor_key(cursor: str) -> tuple[datetime, uuid.UUID]:
    raw_time, raw_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(raw_time)), uuid.UUID(str(raw_id))
    except ValueError:
        raise invalid("cursor", "Not a valid cursor.") from None


def _page(query, order_column, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """Newest first by (`order_column`, list id), keyset-paged: rows of (list, key)."""
    if cursor:
        query = query.where(tuple_(order_column, SharedList.id) < _cursor_key(cursor))
    rows = list(
        db.session.execute(
            query.add_columns(order_column)
            .order_by(order_column.desc(), SharedList.id.desc())
            .limit(limit + 1)
        ).tuples()
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    shared, key = rows[-1]
    return rows, encode_cursor([key, str(shared.id)])


def _memberships(user_id: uuid.UUID, state: str):
    return select(Membership.list_id).where(
        Membership.user_id == user_id, Membership.state == state
    )


def overview(
    *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[SharedList], str | None, int]:
    """Lists the user owns or is an active member of, and how many invites wait for them."""
    query = select(SharedList).where(
        or_(SharedList.owner_id == user_id, SharedList.id.in_(_memberships(user_id, ACTIVE)))
    )
    rows, next_cursor = _page(query, SharedList.created_at, limit, cursor)
    waiting = db.session.scalar(
        select(func.count()).select_from(_memberships(user_id, INVITED).subquery())
    )
    return [shared for shared, _ in rows], next_cursor, waiting or 0


def invites(
    *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[tuple[SharedList, datetime]], str | None]:
    """Lists the user is invited to, with when, newest invite first."""
    query = (
        select(SharedList)
        .join(Membership, Membership.list_id == SharedList.id)
        .where(Membership.user_id == user_id, Membership.state == INVITED)
    )
    return _page(query, Membership.invited_at, limit, cursor)


def members_of(list_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Membership]]:
    """The membership rows of these lists: active ones by joined time, then invites."""
    found: dict[uuid.UUID, list[Membership]] = defaultdict(list)
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.list_id.in_(list(list_ids)))
        .order_by(
            Membership.list_id,
            Membership.state,  # 'active' sorts before 'invited'
            func.coalesce(Membership.joined_at, Membership.invited_at),
            Membership.user_id,
        )
    )
    for row in rows:
        found[row.list_id].append(row)
    return found


def membership(list_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    """The user's row on a list, read afresh (callers hold the list's lock)."""
    return db.session.scalars(
        select(Membership)
        .where(Membership.list_id == list_id, Membership.user_id == user_id)
        .execution_options(populate_existing=True)
    ).first()


def _locked(query) -> SharedList | None:
    return db.session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()


def visible(*, list_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False) -> SharedList:
    """A list the user owns or is an active member of; NotFound for anyone else.

    Only those people's requests lock the row; with `lock`, membership is read again
    once the lock is held, so a member removed meanwhile is refused rather than let
    through on the older snapshot the locking query saw.
    """
    query = select(SharedList).where(
        SharedList.id == list_id,
        or_(SharedList.owner_id == user_id, SharedList.id.in_(_memberships(user_id, ACTIVE))),
    )
    shared = _locked(query) if lock else db.session.scalars(query).first()
    if lock and shared is not None and shared.owner_id != user_id:
        row = membership(list_id, user_id)
        if row is None or row.state != ACTIVE:
            shared = None
    if shared is None:
        raise NotFound("No shared list with this id.")
    return shared


def invited_to(list_id: uuid.UUID, user_id: uuid.UUID) -> tuple[SharedList, Membership]:
    """A locked list and the user's unanswered invite to it; NotFound without one."""
    shared = _locked(select(SharedList).where(SharedList.id == list_id))
    row = membership(list_id, user_id) if shared is not None else None
    if shared is None or row is None or row.state != INVITED:
        raise NotFound("No invite to this list.")
    return shared, row


def media_page(list_id: uuid.UUID, query: MediaQuery) -> tuple[list[Entry], str | None]:
    """One keyset page of a visible list's media (the first, oldest first, by default)."""
    statement = select(Entry, sort_key(Entry, query.sort), Entry.media_id, Entry.media_type).where(
        Entry.list_id == list_id
    )
    rows = db.session.execute(page_statement(statement, Entry, query)).all()
    page, cursor = next_cursor(rows, query)
    return [row[0] for row in page], cursor


def media_count(list_id: uuid.UUID) -> int:
    """How many media a list holds."""
    return db.session.scalar(select(func.count()).where(Entry.list_id == list_id)) or 0


def _require(if_match: IfMatch, version: int) -> None:
    try:
        if_match.require(version)
    except PreconditionFailed:
        db.session.rollback()
        raise


def create_list(
    *,
    owner_id: uuid.UUID,
    name: str,
    friend_id: uuid.UUID | None = None,
    friend_ids: Sequence[uuid.UUID] = (),
    fill: Callable[[SharedList], None] | None = None,
) -> tuple[SharedList, Names]:
    """A pending list inviting each friend (`friend_id` for one, or `friend_ids`); `fill`
    adds to it in the same transaction.

    422 for oneself, 404 for an unknown user, 403 for someone who is not an accepted
    friend (so nobody can be sent lists by strangers), 409 past `MAX_PEOPLE` on the list
    or `MAX_PENDING_INVITES` unanswered invites of the owner; 503 when the user or
    friends service cannot tell.
    """
    field = "friendIds" if friend_ids else "friendId"
    invitees = list(dict.fromkeys([friend_id] if friend_id is not None else friend_ids))
    names = invitations.check_invitees(owner_id, invitees, field=field)
    shared = SharedList(id=uuid.uuid4(), name=name.strip(), owner_id=owner_id, state=PENDING)
    db.session.add(shared)
    db.session.flush()
    invitations.invite(shared, invitees)
    if fill is not None:
        fill(shared)
    db.session.commit()
    return shared, names


def rename(
    *, list_id: uuid.UUID, user_id: uuid.UUID, name: str, if_match: IfMatch = ANY_VERSION
) -> SharedList:
    """Owner or member renames the list; 412 if `if_match` names another version."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    _require(if_match, shared.version)
    shared.name = name.strip()
    db.session.commit()
    return shared


def delete_list(*, list_id: uuid.UUID, user_id: uuid.UUID, if_match: IfMatch = ANY_VERSION) -> None:
    """The owner deletes the list with its media; 412 if `if_match` names another version.

    A member sees the list, so hiding it behind a 404 would be a lie: they get 403.
    Strangers and invitees get 404 as for any list they cannot see.
    """
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    if shared.owner_id != user_id:
        raise Forbidden("Only the owner can delete a shared list; a member can leave it.")
    _require(if_match, shared.version)
    delete_with_events(db.session, shared, actor_id=user_id)
    db.session.commit()


def locked_entries(session: AnySession, shared: SharedList) -> list[Entry]:
    """The list's entries, locked, in key order."""
    return list(
        session.scalars(
            select(Entry)
            .where(Entry.list_id == shared.id)
            .order_by(Entry.media_id, Entry.media_type)
            .with_for_update()
        )
    )


def delete_with_events(session: AnySession, shared: SharedList, *, actor_id: uuid.UUID) -> None:
    """Delete a locked list and queue one `after: null` event per entry, in one transaction."""
    entries = locked_entries(session, shared)
    entry_events.removed(session, entries, owner_id=shared.owner_id, actor_id=actor_id)
    session.execute(delete(SharedList).where(SharedList.id == shared.id))
