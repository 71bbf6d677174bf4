"""Events this service consumes: `user-deleted` takes the user off every list."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicekit.contract import deleted_user_ids
from servicekit.messages import Event

from .members import remove_user


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Apply the leave rules for each deleted user; refuse events without a valid userId."""
    user_ids, refused = deleted_user_ids(events)
    for user_id in user_ids:
        remove_user(session, user_id)
    return refused
