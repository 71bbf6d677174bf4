"""HTTP routes of shared lists: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

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
from servicekit.user_names import Names, display_names

from . import common, entries, services
from .models import Entry, SharedList, db, idempotency_keys
from .schemas import (
    EntryCreate,
    EntryOut,
    EntryPage,
    EntryUpdate,
    InvitePage,
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


def _degraded(body: dict[str, Any], names: Names) -> dict[str, Any]:
    if names.degraded:
        body["degraded"] = True
    return body


def _summary(shared: SharedList, names: Names) -> dict[str, Any]:
    return {
        "listId": shared.id,
        "name": shared.name,
        "owner": names.person(shared.owner_id),
        "member": names.person(shared.member_id),
        "state": shared.state,
        "updatedAt": shared.updated_at,
    }


def _detail(
    shared: SharedList, names: Names | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A list as one response, and its ETag: one batch call for the names unless known.

    A degraded answer (names missing) has no ETag, so that no client revalidates it into
    a lasting copy with the names missing.
    """
    if names is None:
        names = display_names([shared.owner_id, shared.member_id, shared.invitee_id])
    version = shared.version
    media, next_cursor = services.media_page(shared.id, MediaQuery())
    body = _summary(shared, names)
    body.update(
        invitee=names.person(shared.invitee_id),
        createdAt=shared.created_at,
        mediaCount=services.media_count(shared.id),
        media=media,
        nextCursor=next_cursor,
    )
    return _degraded(body, names), {} if names.degraded else tagged(version)


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
    names = display_names([u for s in rows for u in (s.owner_id, s.member_id)])
    body = {
        "items": [_summary(s, names) for s in rows],
        "nextCursor": next_cursor,
        "pendingInvites": waiting,
    }
    return _degraded(body, names)


@blp.route("", methods=["POST"])
@login_required
@idempotent
@blp.arguments(ListCreate)
@blp.response(201, ListOut, headers=ETAG_HEADER)
@blp.doc(security=BEARER)
def create_list(body: dict):
    """Create a pending list and invite a friend to it (`fromCommon`: filled with the
    titles the two have in common)."""
    if "fromCommon" in body:
        made = common.create_from_common(
            owner_id=caller_id(), from_common=body["fromCommon"], name=body.get("name")
        )
        return _detail(*made)
    shared, names = services.create_list(
        owner_id=caller_id(), friend_id=body["friendId"], name=body["name"]
    )
    return _detail(shared, names)


@blp.route("/invites", methods=["GET"])
@login_required
@blp.arguments(ListPageArgs, location="query", as_kwargs=True)
@blp.response(200, InvitePage)
@blp.doc(security=BEARER)
def list_invites(limit: int, cursor: str | None):
    """Invites waiting for me, newest first."""
    rows, next_cursor = services.invites(user_id=caller_id(), limit=limit, cursor=cursor)
    names = display_names([s.owner_id for s in rows])
    items = [
        {"listId": s.id, "name": s.name, "owner": names.person(s.owner_id), "sentAt": s.sent_at}
        for s in rows
    ]
    return _degraded({"items": items, "nextCursor": next_cursor}, names)


@blp.route("/<uuid:list_id>/accept", methods=["POST"])
@login_required
@blp.response(200, ListOut, headers=ETAG_HEADER)
@blp.doc(security=BEARER)
def accept_invite(list_id: uuid.UUID):
    """Join a list I am invited to."""
    return _detail(services.accept(list_id=list_id, user_id=caller_id()))


@blp.route("/<uuid:list_id>/decline", methods=["POST"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def decline_invite(list_id: uuid.UUID):
    """Refuse an invite; the pending list is deleted."""
    services.decline(list_id=list_id, user_id=caller_id())


@blp.route("/<uuid:list_id>/leave", methods=["POST"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def leave_list(list_id: uuid.UUID):
    """Leave a list I own or am a member of."""
    services.leave(list_id=list_id, user_id=caller_id())


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
    return _detail(shared)


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
    """Rename a list (owner or member)."""
    me, condition = caller_id(), if_match()
    renamed = services.rename(list_id=list_id, user_id=me, name=body["name"], if_match=condition)
    return _detail(renamed)


@blp.route("/<uuid:list_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.alt_response(412, description=_CONDITIONAL)
@blp.doc(security=BEARER)
@blp.doc(**IF_MATCH_DOC)
def delete_list(list_id: uuid.UUID):
    """Delete a list (owner only; the member gets 403)."""
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
