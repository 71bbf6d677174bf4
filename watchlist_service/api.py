"""HTTP routes of the watchlist service: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid

from flask import jsonify
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.counts import EntryCounts
from servicekit.deprecation import UNTYPED_TITLES_DEPRECATED, deprecation_headers
from servicekit.errors import NotFound
from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, current_identity, login_required
from servicekit.keyset import MediaQuery
from servicekit.preconditions import (
    ETAG_HEADER,
    IF_MATCH_DOC,
    IF_NONE_MATCH_DOC,
    if_match,
    not_modified,
    tagged,
)

from . import queries, readers, services
from .models import Entry, WatchList, db, idempotency_keys
from .schemas import (
    EntryCreate,
    EntryOut,
    EntryPage,
    EntryUpdate,
    ListCreate,
    ListDetailOut,
    ListOut,
    ListPage,
    ListPageArgs,
    ListUpdate,
    MediaPageArgs,
)

_ENTRY = "/<uuid:list_id>/media/<any(movie, tv):media_type>/<int:media_id>"
_UNTYPED = "/<uuid:list_id>/media/<int:media_id>"
# A token is optional: without one the caller reads what visibility shows to anyone.
OPTIONAL_BEARER: list[dict] = [{}, *BEARER]
_CONDITIONAL = "`If-Match` (an ETag, a list of them, or `*`): 412 unless it names the current one."

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
@blp.response(201, ListOut, headers=ETAG_HEADER)
@blp.doc(security=BEARER)
def create_watchlist(body: dict):
    """Create a list."""
    created = services.create_list(
        owner_id=caller_id(), name=body["name"], visibility=body["visibility"]
    )
    return created, tagged(created.version)


def _readable(list_id: uuid.UUID) -> tuple[WatchList, readers.Reader]:
    """The list and its reader's view; 404 unless the caller may read it."""
    identity = current_identity()
    row = queries.any_list_row(list_id)
    if row is None:
        raise NotFound(queries.NO_LIST)
    return row, readers.readable(row, identity.user_id if identity else None)


@blp.route("/<uuid:list_id>", methods=["GET"])
@blp.response(200, ListDetailOut, headers=ETAG_HEADER)
@blp.alt_response(304, description="Not modified: `If-None-Match` names the current ETag")
@blp.doc(security=OPTIONAL_BEARER)
@blp.doc(**IF_NONE_MATCH_DOC)
def get_watchlist(list_id: uuid.UUID):
    """A list with the first page of its media: the owner's, or one its visibility shows.

    Others (also without a token) read `public` and `unlisted` lists, friends `friends`
    ones too, without the owner-only fields (`notes`); any other list is 404.
    """
    row, reader = _readable(list_id)
    unchanged = not_modified(row.version)
    if unchanged is not None:
        return unchanged
    detail = queries.get_list(row)
    # The entries come from the database already in their response shape (queries.get_list),
    # so they skip the schema; the response is still documented as ListDetailOut.
    media = readers.for_reader(detail.media, reader)
    body = {**ListOut().dump(detail), "media": media, "nextCursor": detail.next_cursor}
    response = jsonify(body)
    response.headers.update(tagged(detail.version))
    return response


@blp.route("/<uuid:list_id>/media", methods=["GET"])
@blp.arguments(MediaPageArgs, location="query", as_kwargs=True)
@blp.response(200, EntryPage)
@blp.doc(security=OPTIONAL_BEARER)
def list_media(list_id: uuid.UUID, **args):
    """A page of a list's media by `status`, `sort`, `order`; read as `GET` of the list."""
    _row, reader = _readable(list_id)
    items, next_cursor = queries.media_page(list_id=list_id, query=MediaQuery(**args))
    return jsonify({"items": readers.for_reader(items, reader), "nextCursor": next_cursor})


@blp.route("/<uuid:list_id>", methods=["PATCH"])
@login_required
@blp.arguments(ListUpdate)
@blp.response(200, ListOut, headers=ETAG_HEADER)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def rename_watchlist(body: dict, list_id: uuid.UUID):
    """Rename one of the caller's lists or change its `visibility`."""
    renamed = services.update_list(
        owner_id=caller_id(),
        list_id=list_id,
        name=body.get("name"),
        visibility=body.get("visibility"),
        if_match=if_match(),
    )
    return renamed, tagged(renamed.version)


@blp.route("/<uuid:list_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def delete_watchlist(list_id: uuid.UUID):
    """Delete one of the caller's lists and its entries."""
    services.delete_list(owner_id=caller_id(), list_id=list_id, if_match=if_match())


@blp.route("/<uuid:list_id>/media", methods=["POST"])
@login_required
@idempotent
@blp.arguments(EntryCreate)
@blp.response(201, EntryOut, headers=ETAG_HEADER)
@blp.alt_response(409, description="The title is already in this list")
@blp.doc(security=BEARER)
def add_media(body: dict, list_id: uuid.UUID):
    """Add a film or series (`mediaType`, movie when absent) to one of the caller's lists."""
    added = services.add_entry(
        owner_id=caller_id(),
        key=(list_id, body["mediaType"], body["mediaId"]),
        status=body["status"],
        progress=body.get("progress"),
        rating=body.get("rating"),
        extra=body,
    )
    return added, tagged(added.version)


def _successor(list_id: uuid.UUID, media_id: int) -> dict[str, str]:
    path = f"/watchlists/{list_id}/media/movie/{media_id}"
    return deprecation_headers(path, UNTYPED_TITLES_DEPRECATED)


def _update(body: dict, list_id: uuid.UUID, media_type: str, media_id: int):
    updated = services.update_entry(
        owner_id=caller_id(),
        key=(list_id, media_type, media_id),
        changes=body,
        if_match=if_match(),
    )
    return updated, tagged(updated.version)


@blp.route(_ENTRY, methods=["PATCH"])
@login_required
@blp.arguments(EntryUpdate)
@blp.response(200, EntryOut, headers=ETAG_HEADER)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def update_media(body: dict, list_id: uuid.UUID, media_type: str, media_id: int):
    """Change an entry's status, progress, rating or notes (`null` clears them)."""
    return _update(body, list_id, media_type, media_id)


@blp.route(_UNTYPED, methods=["PATCH"])
@login_required
@blp.arguments(EntryUpdate)
@blp.response(200, EntryOut, headers=ETAG_HEADER)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER, deprecated=True)
@blp.doc(**IF_MATCH_DOC)
def update_untyped_media(body: dict, list_id: uuid.UUID, media_id: int):
    """Change the movie `media_id`'s entry (deprecated: use `.../media/movie/{mediaId}`)."""
    updated, headers = _update(body, list_id, "movie", media_id)
    return updated, {**headers, **_successor(list_id, media_id)}


@blp.route(_ENTRY, methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def remove_media(list_id: uuid.UUID, media_type: str, media_id: int):
    """Take a film or series (and its watches) out of one of the caller's lists."""
    services.remove_entry(
        owner_id=caller_id(), key=(list_id, media_type, media_id), if_match=if_match()
    )


@blp.route(_UNTYPED, methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER, deprecated=True)
@blp.doc(**IF_MATCH_DOC)
def remove_untyped_media(list_id: uuid.UUID, media_id: int):
    """Take the movie `media_id` out of a list (deprecated: use `.../media/movie/{mediaId}`)."""
    services.remove_entry(
        owner_id=caller_id(), key=(list_id, "movie", media_id), if_match=if_match()
    )
    return None, 204, _successor(list_id, media_id)
