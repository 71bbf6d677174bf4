"""Events the user service consumes: `user-deleted` removes the profile."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from servicekit.consumer import Event

from .services import forget_users


def on_user_deleted(session: Session, events: list[Event]) -> list[tuple[Event, str]]:
    """Delete the profiles of deleted accounts; refuse events without a valid userId."""
    refused, user_ids = [], []
    for event in events:
        try:
            user_ids.append(uuid.UUID(str(event.body["userId"])))
        except (KeyError, ValueError):
            refused.append((event, "user.deleted without a valid userId"))
    forget_users(session, list(dict.fromkeys(user_ids)))
    return refused
