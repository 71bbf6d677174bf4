"""Events the friends service consumes: `user-deleted` removes the user's pairs."""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from servicekit.contract import deleted_user_ids
from servicekit.messages import Event

from .models import Friendship


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete every friendship and request of deleted users; refuse events without a userId."""
    user_ids, refused = deleted_user_ids(events)
    if user_ids:
        session.execute(
            delete(Friendship).where(
                or_(Friendship.user_low.in_(user_ids), Friendship.user_high.in_(user_ids))
            )
        )
    return refused
