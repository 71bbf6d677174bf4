"""HTTP routes of shared lists: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.counts import EntryCounts
from servicekit.deprecation import UNTYPED_TITLES_DEPRECATED, deprecation_headers
from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, login_required
from servicekit.keyset import MediaQuery
from servicekit.preconditions import (
    ETAG_HEADER,
    IF_MATCH_DOC,
    IF_NONE_MATCH_DOC,
    if_match,
    not_modified,
    tagged,
)

from . import answers, common, entries, services
from .models import Entry, SharedList, db, idempotency_keys
from .schemas import (
    EntryCreate,
    EntryOut,
    EntryPage,
    EntryUpdate,
    ListCreate,
    ListOut,
    ListPageArgs,
    ListUpdate,
    MediaPageArgs,
    Overview,
)

_ENTRY = "/<uuid:list_id>/media/<any(movie, tv):media_type>/<int:media_id>"
_UNTYPED = "/<uuid:list_id>/media/<int:media_id>"
_CONDITIONAL = "`If-Match` (an ETag, a list of them, or `*`): 412 unless it names the current one."

blp = ApiBlueprint(
    "friendswatchlists", __name__, url_prefix="/friendswatchlists", description="Shared lists"
)
internal = EntryCounts(db, Entry, SharedList.id, SharedList.owner_id).blueprint()


idempotent = Idempotency(db, idempotency_keys)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(ListPageArgs, location="query", as_kwargs=True)
@blp.response(200, Overview)
@blp.doc(security=BEARER)
def overview(limit: int, cursor: str | None):
    """Lists I own or am a member of, and how many invites wait for me."""
    me = caller_id()
    rows, next_cursor, waiting = services.overview(user_id=me, limit=limit, cursor=cursor)
    items, names = answers.summaries(rows)
    body = {"items": items, "nextCursor": next_cursor, "pendingInvites": waiting}
    return answers.degraded(body, names)


@blp.route("", methods=["POST"])
@login_required
@idempotent
@blp.arguments(ListCreate)
@blp.response(201, ListOut, headers=ETAG_HEADER)
@blp.doc(security=BEARER)
def create_list(body: dict):
    """Create a pending list inviting one friend (`friendId`) or several (`friendIds`);
    `fromCommon`: inviting one, filled with the titles the two have in common."""
    if "fromCommon" in body:
        made = common.create_from_common(
            owner_id=caller_id(), from_common=body["fromCommon"], name=body.get("name")
        )
        return answers.detail(*made)
    shared, names = services.create_list(
        owner_id=caller_id(),
        name=body["name"],
        friend_id=body.get("friendId"),
        friend_ids=body.get("friendIds", ()),
    )
    return answers.detail(shared, names)


@blp.route("/<uuid:list_id>", methods=["GET"])
@login_required
@blp.response(200, ListOut, headers=ETAG_HEADER)
@blp.alt_response(304, description="Not modified: `If-None-Match` names the current ETag")
@blp.doc(security=BEARER)
@blp.doc(**IF_NONE_MATCH_DOC)
def get_list(list_id: uuid.UUID):
    """One list with the first page of its media (`nextCursor` for more)."""
    shared = services.visible(list_id=list_id, user_id=caller_id())
    unchanged = not_modified(shared.version)
    if unchanged is not None:
        return unchanged
    return answers.detail(shared)


@blp.route("/<uuid:list_id>/media", methods=["GET"])
@login_required
@blp.arguments(MediaPageArgs, location="query", as_kwargs=True)
@blp.response(200, EntryPage)
@blp.doc(security=BEARER)
def list_media(list_id: uuid.UUID, **args):
    """A page of the list's media, filtered by `status`, sorted by `sort` and `order`."""
    shared = services.visible(list_id=list_id, user_id=caller_id())
    items, next_cursor = services.media_page(shared.id, MediaQuery(**args))
    return {"items": items, "nextCursor": next_cursor}


@blp.route("/<uuid:list_id>", methods=["PATCH"])
@login_required
@blp.arguments(ListUpdate)
@blp.response(200, ListOut, headers=ETAG_HEADER)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def rename_list(body: dict, list_id: uuid.UUID):
    """Rename a list (owner or an active member)."""
    me, condition = caller_id(), if_match()
    renamed = services.rename(list_id=list_id, user_id=me, name=body["name"], if_match=condition)
    return answers.detail(renamed)


@blp.route("/<uuid:list_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def delete_list(list_id: uuid.UUID):
    """Delete a list (owner only; a member gets 403)."""
    services.delete_list(list_id=list_id, user_id=caller_id(), if_match=if_match())


@blp.route("/<uuid:list_id>/media", methods=["POST"])
@login_required
@idempotent
@blp.arguments(EntryCreate)
@blp.response(201, EntryOut, headers=ETAG_HEADER)
@blp.doc(security=BEARER)
def add_media(body: dict, list_id: uuid.UUID):
    """Add a film or series (`mediaType`, movie when absent) to the list."""
    added = entries.add_entry(
        key=(list_id, body["mediaType"], body["mediaId"]),
        user_id=caller_id(),
        status=body["status"],
        progress=body.get("progress"),
        rating=body.get("rating"),
        extra=body,
    )
    return added, tagged(added.version)


def _successor(list_id: uuid.UUID, media_id: int) -> dict[str, str]:
    path = f"/friendswatchlists/{list_id}/media/movie/{media_id}"
    return deprecation_headers(path, UNTYPED_TITLES_DEPRECATED)


def _update(body: dict, list_id: uuid.UUID, media_type: str, media_id: int):
    me, condition = caller_id(), if_match()
    updated = entries.update_entry(
        key=(list_id, media_type, media_id), user_id=me, changes=body, if_match=condition
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
    """Take a film or series (and its watches) off the list."""
    condition = if_match()
    entries.remove_entry(
        key=(list_id, media_type, media_id), user_id=caller_id(), if_match=condition
    )


@blp.route(_UNTYPED, methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER, deprecated=True)
@blp.doc(**IF_MATCH_DOC)
def remove_untyped_media(list_id: uuid.UUID, media_id: int):
    """Take the movie `media_id` off the list (deprecated: use `.../media/movie/{mediaId}`)."""
    condition = if_match()
    entries.remove_entry(key=(list_id, "movie", media_id), user_id=caller_id(), if_match=condition)
    return None, 204, _successor(list_id, media_id)
