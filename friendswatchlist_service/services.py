"""Rules of shared lists: invites, membership, leaving; no Flask request objects here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, or_, select, tuple_

from servicekit.db import AnySession
from servicekit.errors import Conflict, Forbidden, NotFound, PreconditionFailed, invalid
from servicekit.keyset import MediaQuery, next_cursor, page_statement, sort_key
from servicekit.preconditions import ANY_VERSION, IfMatch
from servicekit.schemas import decode_cursor, encode_cursor
from servicekit.user_names import Names, display_names

from . import friends
from .events import entry_events
from .models import ACTIVE, PENDING, Entry, SharedList, db

MAX_PENDING_INVITES = 20


def _cursor_key(cursor: str) -> tuple[datetime, uuid.UUID]:
    raw_time, raw_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(raw_time)), uuid.UUID(str(raw_id))
    except ValueError:
        raise invalid("cursor", "Not a valid cursor.") from None


def _page(query, order_column, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """Newest first by (`order_column`, id), keyset-paged."""
    if cursor:
        query = query.where(tuple_(order_column, SharedList.id) < _cursor_key(cursor))
    rows = list(
        db.session.scalars(
            query.order_by(order_column.desc(), SharedList.id.desc()).limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, order_column.key), str(last.id)])


def overview(
    *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[SharedList], str | None, int]:
    """Lists the user owns or is a member of, and how many invites wait for them."""
    query = select(SharedList).where(
        or_(SharedList.owner_id == user_id, SharedList.member_id == user_id)
    )
    rows, next_cursor = _page(query, SharedList.created_at, limit, cursor)
    waiting = db.session.scalar(
        select(func.count()).select_from(SharedList).where(SharedList.invitee_id == user_id)
    )
    return rows, next_cursor, waiting or 0


def invites(
    *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[SharedList], str | None]:
    """Pending lists the user is invited to, newest invite first."""
    query = select(SharedList).where(SharedList.invitee_id == user_id)
    return _page(query, SharedList.sent_at, limit, cursor)


def _locked(query) -> SharedList | None:
    return db.session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).first()


def visible(*, list_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False) -> SharedList:
    """A list the user owns or is a member of; NotFound for anyone else."""
    query = select(SharedList).where(
        SharedList.id == list_id,
        or_(SharedList.owner_id == user_id, SharedList.member_id == user_id),
    )
    shared = _locked(query) if lock else db.session.scalars(query).first()
    if shared is None:
        raise NotFound("No shared list with this id.")
    return shared


def _invited(list_id: uuid.UUID, user_id: uuid.UUID) -> SharedList:
    shared = _locked(
        select(SharedList).where(SharedList.id == list_id, SharedList.invitee_id == user_id)
    )
    if shared is None:
        raise NotFound("No invite to this list.")
    return shared


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
    friend_id: uuid.UUID,
    name: str,
    fill: Callable[[SharedList], None] | None = None,
) -> tuple[SharedList, Names]:
    """A pending list with an invite to `friend_id`; `fill` adds to it in the same transaction.

    422 for oneself, 404 for an unknown user, 403 for someone who is not an accepted
    friend (so nobody can be sent lists by strangers), 409 past `MAX_PENDING_INVITES`
    unanswered invites of the owner; 503 when the user or friends service cannot tell.
    """
    if friend_id == owner_id:
        raise invalid("friendId", "You cannot invite yourself.")
    # One call both proves the friend exists and names both people for the answer.
    names = display_names([owner_id, friend_id], strict=True)
    if friend_id not in names.by_id:
        raise NotFound("No user with this id.")
    if not friends.are_friends(owner_id, friend_id):
        raise Forbidden("You can share a list only with an accepted friend.")
    # Serialise one owner's invites, so concurrent ones cannot all pass the count.
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(str(owner_id), 0))))
    pending = (
        db.session.scalar(
            select(func.count())
            .select_from(SharedList)
            .where(SharedList.owner_id == owner_id, SharedList.state == PENDING)
        )
        or 0
    )
    if pending >= MAX_PENDING_INVITES:
        raise Conflict(
            f"You have {pending} unanswered invites; wait for answers or delete some first."
        )
    shared = SharedList(
        id=uuid.uuid4(),
        name=name.strip(),
        owner_id=owner_id,
        invitee_id=friend_id,
        state=PENDING,
        sent_at=func.now(),
    )
    db.session.add(shared)
    if fill is not None:
        fill(shared)
    db.session.commit()
    return shared, names


def accept(*, list_id: uuid.UUID, user_id: uuid.UUID) -> SharedList:
    """The invitee joins: the list becomes active with them as its member."""
    shared = _invited(list_id, user_id)
    shared.member_id, shared.invitee_id, shared.state = user_id, None, ACTIVE
    db.session.commit()
    return shared


def decline(*, list_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The invitee says no, and the pending list is deleted with its media.

    A pending list exists only to be shared with this invitee; keeping it would leave
    the owner a "shared" list nobody can ever join (there is no re-invite), so it goes,
    with an `after: null` event for each entry the owner had already added.
    """
    shared = _invited(list_id, user_id)
    delete_with_events(db.session, shared, actor_id=user_id)
    db.session.commit()


def leave(*, list_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The owner or member leaves (see `remove_person`)."""
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    remove_person(db.session, shared, user_id)
    db.session.commit()


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

    The member sees the list, so hiding it behind a 404 would be a lie: they get 403.
    Strangers and invitees get 404 as for any list they cannot see.
    """
    shared = visible(list_id=list_id, user_id=user_id, lock=True)
    if shared.owner_id != user_id:
        raise Forbidden("Only the owner can delete a shared list; a member can leave it.")
    _require(if_match, shared.version)
    delete_with_events(db.session, shared, actor_id=user_id)
    db.session.commit()


def _locked_entries(session: AnySession, shared: SharedList) -> list[Entry]:
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
    entries = _locked_entries(session, shared)
    entry_events.removed(session, entries, owner_id=shared.owner_id, actor_id=actor_id)
    session.execute(delete(SharedList).where(SharedList.id == shared.id))


def remove_person(session: AnySession, shared: SharedList, user_id: uuid.UUID) -> None:
    """Take someone off a locked list: the leave rules, also used for deleted accounts.

    A leaving owner hands the list to the member; a list left with nobody (an owner
    alone, or a pending list whose owner or invitee goes) is deleted; a member just leaves.
    """
    if shared.owner_id == user_id and shared.member_id is not None:
        # The entries now count for the new owner: one event each moves them over.
        entry_events.owner_changed(
            session,
            _locked_entries(session, shared),
            old_owner=user_id,
            new_owner=shared.member_id,
            actor_id=user_id,
        )
        shared.owner_id, shared.member_id = shared.member_id, None
    elif shared.owner_id == user_id or shared.invitee_id == user_id:
        delete_with_events(session, shared, actor_id=user_id)
    elif shared.member_id == user_id:
        shared.member_id = None


def remove_user(session: AnySession, user_id: uuid.UUID) -> None:
    """Take a deleted account off every list it is on or invited to."""
    lists = session.scalars(
        select(SharedList)
        .where(
            or_(
                SharedList.owner_id == user_id,
                SharedList.member_id == user_id,
                SharedList.invitee_id == user_id,
            )
        )
        .order_by(SharedList.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for shared in list(lists):
        remove_person(session, shared, user_id)
