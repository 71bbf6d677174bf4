"""The user service's rules; no Flask request objects here."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.errors import Conflict, Forbidden, NotFound, invalid
from servicekit.identity import Identity
from servicekit.schemas import decode_cursor, encode_cursor

from .models import DeletedUser, Profile, db

MAX_BATCH = 100


def _search_key(name: str) -> str:
    return name.strip().lower()


def get_profile(*, user_id: uuid.UUID) -> Profile:
    """One profile; NotFound when there is none."""
    profile = db.session.get(Profile, user_id)
    if profile is None:
        raise NotFound("No user with this id.")
    return profile


def parse_ids(raw: list[str]) -> list[uuid.UUID]:
    """User ids from a query string; 422 naming the first that is not a UUID."""
    ids = []
    for value in raw:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise invalid("ids", f"Not a user id: {value[:40]}") from None
    return ids


def get_many(*, user_ids: list[uuid.UUID]) -> list[Profile]:
    """The profiles among `user_ids` that exist, in the order asked."""
    if len(user_ids) > MAX_BATCH:
        raise invalid("ids", f"At most {MAX_BATCH} ids.")
    found = {p.id: p for p in db.session.scalars(select(Profile).where(Profile.id.in_(user_ids)))}
    return [found[i] for i in user_ids if i in found]


def search(*, prefix: str, limit: int, cursor: str | None) -> tuple[list[Profile], str | None]:
    """Profiles whose display name starts with `prefix` (any case), keyset-paged."""
    key = _search_key(prefix)
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(Profile).where(Profile.search_name.like(escaped + "%", escape="\\"))
    if cursor:
        last_name, last_id = decode_cursor(cursor, 2)
        try:
            after = (str(last_name), uuid.UUID(str(last_id)))
        except ValueError:
            raise invalid("cursor", "Not a valid cursor.") from None
        query = query.where(tuple_(Profile.search_name, Profile.id) > after)
    rows = list(
        db.session.scalars(query.order_by(Profile.search_name, Profile.id).limit(limit + 1))
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].search_name, str(rows[-1].id)])
    return rows, next_cursor


def rename(*, caller: Identity, user_id: uuid.UUID, display_name: str) -> Profile:
    """Change one's own display name; 403 for someone else's profile."""
    profile = get_profile(user_id=user_id)
    if caller.user_id != user_id:
        raise Forbidden("You can only change your own profile.")
    profile.display_name = display_name.strip()
    profile.search_name = _search_key(display_name)
    db.session.commit()
    return profile


def create_profile(*, user_id: uuid.UUID, display_name: str) -> tuple[Profile, bool]:
    """Create the profile of a new account; repeating the call is harmless.

    409 for an id that was deleted: ids are minted once and never come back.
    """
    if db.session.get(DeletedUser, user_id) is not None:
        raise Conflict("This user id belongs to a deleted account.")
    created = db.session.execute(
        pg_insert(Profile)
        .values(
            id=user_id, display_name=display_name.strip(), search_name=_search_key(display_name)
        )
        .on_conflict_do_nothing()
        .returning(Profile.id)
    ).first()
    db.session.commit()
    return get_profile(user_id=user_id), created is not None


def delete_profile(*, user_id: uuid.UUID) -> None:
    """Remove a profile if it exists and retire its id (sign-up compensation)."""
    forget_users(db.session, [user_id])
    db.session.commit()


def forget_users(session, user_ids: list[uuid.UUID]) -> None:
    """Delete these users' profiles and leave tombstones, in the caller's transaction."""
    if not user_ids:
        return
    session.execute(
        pg_insert(DeletedUser).values([{"id": i} for i in user_ids]).on_conflict_do_nothing()
    )
    session.execute(delete(Profile).where(Profile.id.in_(user_ids)))
