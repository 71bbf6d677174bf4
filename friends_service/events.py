"""Events the friends service consumes: `user-deleted` removes the user's pairs.

Each friendship that ends so is announced (`friendship-changed`, state `ended`, no actor)
in the same transaction, so followers of the pair never keep a friendship that is gone.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from servicekit.contract import ENDED, deleted_user_ids, friendship_changed
from servicekit.events import add_events
from servicekit.messages import Event

from .models import ACCEPTED, Friendship, outbox


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete every friendship and request of deleted users; refuse events without a userId."""
    user_ids, refused = deleted_user_ids(events)
    if user_ids:
        gone = session.execute(
            delete(Friendship)
            .where(or_(Friendship.user_low.in_(user_ids), Friendship.user_high.in_(user_ids)))
            .returning(Friendship.user_low, Friendship.user_high, Friendship.state)
        ).all()
        ended = [
            friendship_changed(user_ids=(row.user_low, row.user_high), state=ENDED)
            for row in gone
            if row.state == ACCEPTED
        ]
        add_events(session, outbox, ended)
    return refused
