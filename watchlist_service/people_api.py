"""`GET /users/{userId}/watchlists`: the lists of one person that the caller may see.

Served by this service under the user service's prefix; the gateway routes exactly this
path here (devstack.services.BORROWED_ROUTES).
"""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import current_identity

from . import queries, readers
from .api import OPTIONAL_BEARER
from .schemas import ListPageArgs, PersonListPage

people = ApiBlueprint(
    "people-watchlists", __name__, url_prefix="/users", description="A person's visible lists"
)


@people.route("/<uuid:user_id>/watchlists", methods=["GET"])
@people.arguments(ListPageArgs, location="query", as_kwargs=True)
@people.response(200, PersonListPage)
@people.doc(security=OPTIONAL_BEARER)
def person_watchlists(user_id: uuid.UUID, limit: int, cursor: str | None):
    """A person's lists the caller may see, newest first: all for themself, `public` and
    `friends` ones for a friend, `public` ones for anyone else (`unlisted` never)."""
    identity = current_identity()
    reader = readers.reader_of(user_id, identity.user_id if identity else None)
    items, next_cursor = queries.list_lists(
        owner_id=user_id, limit=limit, cursor=cursor, visibilities=reader.listed
    )
    return {"items": items, "nextCursor": next_cursor, "degraded": reader.degraded}
