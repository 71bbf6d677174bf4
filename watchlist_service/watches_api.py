"""HTTP routes of an entry's watch history in personal lists: record, page, delete."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import BEARER, caller_id, login_required
from servicekit.watches import WatchCreate, WatchOut, WatchPage, WatchPageArgs

from . import services
from .api import idempotent

_ENTRY = "/<uuid:list_id>/media/<any(movie, tv):media_type>/<int:media_id>"

watch_blp = ApiBlueprint(
    "watchlist-watches", __name__, url_prefix="/watchlists", description="Watch history of entries"
)


@watch_blp.route(_ENTRY + "/watches", methods=["POST"])
@login_required
@idempotent
@watch_blp.arguments(WatchCreate)
@watch_blp.response(201, WatchOut)
@watch_blp.doc(security=BEARER)
def add_watch(body: dict, list_id: uuid.UUID, media_type: str, media_id: int):
    """Record a (re)watch of an entry (`watchedAt` defaults to now, never in the future)."""
    return services.record_watch(
        owner_id=caller_id(), key=(list_id, media_type, media_id), watched_at=body["watchedAt"]
    )


@watch_blp.route(_ENTRY + "/watches", methods=["GET"])
@login_required
@watch_blp.arguments(WatchPageArgs, location="query", as_kwargs=True)
@watch_blp.response(200, WatchPage)
@watch_blp.doc(security=BEARER)
def list_watches(list_id: uuid.UUID, media_type: str, media_id: int, limit: int, cursor=None):
    """A page of an entry's watches, newest first."""
    items, next_cursor = services.list_watches(
        owner_id=caller_id(), key=(list_id, media_type, media_id), limit=limit, cursor=cursor
    )
    return {"items": items, "nextCursor": next_cursor}


@watch_blp.route(_ENTRY + "/watches/<uuid:watch_id>", methods=["DELETE"])
@login_required
@watch_blp.response(204)
@watch_blp.doc(security=BEARER)
def delete_watch(list_id: uuid.UUID, media_type: str, media_id: int, watch_id: uuid.UUID):
    """Delete one watch of an entry."""
    services.delete_watch(
        owner_id=caller_id(), key=(list_id, media_type, media_id), watch_id=watch_id
    )
