"""Internal routes of the friends service (never routed by the gateway)."""

from __future__ import annotations

import uuid

from flask import Blueprint

from servicekit.identity import service_credential_required
from servicekit.schemas import UtcDateTime

from . import services

internal = Blueprint("internal", __name__, url_prefix="/internal")


@internal.get("/friendships/<uuid:user_id>/<uuid:other_id>")
# the shared lists check before an invite; the statistics before showing friends' figures;
# the personal lists before showing a `friends` list to someone other than its owner
@service_credential_required("friendswatchlist", "mediastatistics", "watchlist")
def friendship(user_id: uuid.UUID, other_id: uuid.UUID):
    """Whether two users are accepted friends: `{friends, since}` (200 either way)."""
    since = services.friends_since(user_id, other_id)
    return {
        "friends": since is not None,
        "since": UtcDateTime().serialize("since", {"since": since}),
    }
