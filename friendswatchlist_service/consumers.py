"""Events the shared-watchlist service consumes: `user-deleted` takes the user off every list."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from servicekit.consumer import Event

from .services import remove_user


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Apply the leave rules for each deleted user; refuse events without a valid userId."""
    refused = []
    for event in events:
        try:
            user_id = uuid.UUID(str(event.body["userId"]))
        except (KeyError, ValueError):
            refused.append((event, "user.deleted without a valid userId"))
            continue
        remove_user(session, user_id)
    return refused
