"""HTTP routes of the activity service: the caller's feed and one person's activity."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import BEARER, caller_id, current_identity, login_required
from servicekit.schemas import PageArgs
from servicekit.user_names import display_names

from . import feed
from .schemas import ActivityPage

blp = ApiBlueprint("activity", __name__, url_prefix="/activity", description="Friends' feed")
people = ApiBlueprint("people", __name__, url_prefix="/users", description="A person's activity")


def _answer(items: list[feed.Item], next_cursor: str | None) -> dict[str, Any]:
    """The page with actors' display names from one batch call."""
    names = display_names(item.actor_id for item in items)
    return {
        "items": [
            {
                "activityId": str(item.activity_id),
                "type": item.kind,
                "occurredAt": item.occurred_at,
                "actor": names.person(item.actor_id),
                "listId": item.list_id,
                "mediaType": item.media_type,
                "mediaId": item.media_id,
                "status": item.status,
                "rating": item.rating,
            }
            for item in items
        ],
        "nextCursor": next_cursor,
        "degraded": names.degraded,
    }


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, ActivityPage)
@blp.doc(security=BEARER)
def friends_activity(limit: int, cursor: str | None):
    """The caller's friends' recent activity on lists the caller may see, newest first."""
    return _answer(*feed.friends_feed(reader=caller_id(), limit=limit, cursor=cursor))


@people.route("/<uuid:user_id>/activity", methods=["GET"])
@people.arguments(PageArgs, location="query", as_kwargs=True)
@people.response(200, ActivityPage)
def person_activity(user_id: uuid.UUID, limit: int, cursor: str | None):
    """One person's activity as far as the caller may see it (all of it for themself)."""
    identity = current_identity()
    reader = identity.user_id if identity else None
    return _answer(*feed.person_activity(person=user_id, reader=reader, limit=limit, cursor=cursor))
