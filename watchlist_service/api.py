"""HTTP routes of the watchlist service: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid

from flask import jsonify
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.counts import EntryCounts
from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, login_required

from . import queries, services
from .models import Entry, WatchList, db, idempotency_keys
from .schemas import (
    EntryCreate,
    EntryOut,
    EntryUpdate,
    ListCreate,
    ListDetailOut,
    ListOut,
    ListPage,
    ListPageArgs,
    ListUpdate,
)

blp = ApiBlueprint(
    "watchlists", __name__, url_prefix="/watchlists", description="Personal watchlists"
)
internal = EntryCounts(db, Entry, WatchList.id, WatchList.owner_id).blueprint()
idempotent = Idempotency(db, idempotency_keys)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(ListPageArgs, location="query", as_kwargs=True)
@blp.response(200, ListPage)
@blp.doc(security=BEARER)
def list_watchlists(limit: int, cursor: str | None):
    """The caller's lists with their media counts, newest first."""
    items, next_cursor = queries.list_lists(owner_id=caller_id(), limit=limit, cursor=cursor)
    return {"items": items, "nextCursor": next_cursor}


@blp.route("", methods=["POST"])
@login_required
@idempotent
@blp.arguments(ListCreate)
@blp.response(201, ListOut)
@blp.doc(security=BEARER)
def create_watchlist(body: dict):
    """Create a list."""
    return services.create_list(owner_id=caller_id(), name=body["name"])


@blp.route("/<uuid:list_id>", methods=["GET"])
@login_required
@blp.response(200, ListDetailOut)
@blp.doc(security=BEARER)
def get_watchlist(list_id: uuid.UUID):
    """One of the caller's lists with its media."""
    detail = queries.get_list(owner_id=caller_id(), list_id=list_id)
    # The entries come from the database already in their response shape (queries.get_list),
    # so they skip the schema; the response is still documented as ListDetailOut.
    return jsonify({**ListOut().dump(detail), "media": detail.media})


@blp.route("/<uuid:list_id>", methods=["PATCH"])
@login_required
@blp.arguments(ListUpdate)
@blp.response(200, ListOut)
@blp.doc(security=BEARER)
def rename_watchlist(body: dict, list_id: uuid.UUID):
    """Rename one of the caller's lists."""
    return services.rename_list(owner_id=caller_id(), list_id=list_id, name=body["name"])


@blp.route("/<uuid:list_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def delete_watchlist(list_id: uuid.UUID):
    """Delete one of the caller's lists and its entries."""
    services.delete_list(owner_id=caller_id(), list_id=list_id)


@blp.route("/<uuid:list_id>/media", methods=["POST"])
@login_required
@idempotent
@blp.arguments(EntryCreate)
@blp.response(201, EntryOut)
@blp.alt_response(409, description="The media is already in this list")
@blp.doc(security=BEARER)
def add_media(body: dict, list_id: uuid.UUID):
    """Add a film or series to one of the caller's lists."""
    return services.add_entry(
        owner_id=caller_id(),
        list_id=list_id,
        media_id=body["mediaId"],
        status=body["status"],
        progress=body.get("progress"),
        rating=body.get("rating"),
    )


@blp.route("/<uuid:list_id>/media/<int:media_id>", methods=["PATCH"])
@login_required
@blp.arguments(EntryUpdate)
@blp.response(200, EntryOut)
@blp.doc(security=BEARER)
def update_media(body: dict, list_id: uuid.UUID, media_id: int):
    """Change an entry's status, progress or rating (`null` clears progress or rating)."""
    return services.update_entry(
        owner_id=caller_id(), list_id=list_id, media_id=media_id, changes=body
    )


@blp.route("/<uuid:list_id>/media/<int:media_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def remove_media(list_id: uuid.UUID, media_id: int):
    """Take a film or series out of one of the caller's lists."""
    services.remove_entry(owner_id=caller_id(), list_id=list_id, media_id=media_id)
