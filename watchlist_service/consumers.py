"""Events this service consumes: `user-deleted` deletes the account's lists."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicekit.contract import deleted_user_ids
from servicekit.messages import Event

from .events import remove_lists
from .models import WatchList


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete the lists of deleted accounts; refuse events without a valid userId."""
    user_ids, refused = deleted_user_ids(events)
    if user_ids:
        remove_lists(session, WatchList.owner_id.in_(user_ids))
    return refused
