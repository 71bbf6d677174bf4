"""Events the user service consumes: `user-deleted` removes the profile."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicekit.contract import deleted_user_ids
from servicekit.messages import Event

from .services import forget_users


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete the profiles of deleted accounts; refuse events without a valid userId."""
    user_ids, refused = deleted_user_ids(events)
    forget_users(session, list(dict.fromkeys(user_ids)))
    return refused
