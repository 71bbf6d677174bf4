"""HTTP routes of shared lists: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.counts import EntryCounts
from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, login_required
from servicekit.user_names import Names, display_names

from . import entries, services
from .models import Entry, SharedList, db, idempotency_keys
from .schemas import (
    EntryCreate,
    EntryOut,
    EntryUpdate,
    InvitePage,
    ListCreate,
    ListOut,
    ListPageArgs,
    ListUpdate,
    Overview,
)

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


def _detail(shared: SharedList, names: Names | None = None) -> dict[str, Any]:
    """A list as one response: one batch call for the names unless they are known."""
    if names is None:
        names = display_names([shared.owner_id, shared.member_id, shared.invitee_id])
    body = _summary(shared, names)
    body.update(
        invitee=names.person(shared.invitee_id),
        createdAt=shared.created_at,
        media=services.entries_of(shared.id),
    )
    return _degraded(body, names)


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
@blp.response(201, ListOut)
@blp.doc(security=BEARER)
def create_list(body: dict):
    """Create a pending list and invite a friend to it."""
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
@blp.response(200, ListOut)
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
@blp.response(200, ListOut)
@blp.doc(security=BEARER)
def get_list(list_id: uuid.UUID):
    """One list with its media."""
    return _detail(services.visible(list_id=list_id, user_id=caller_id()))


@blp.route("/<uuid:list_id>", methods=["PATCH"])
@login_required
@blp.arguments(ListUpdate)
@blp.response(200, ListOut)
@blp.doc(security=BEARER)
def rename_list(body: dict, list_id: uuid.UUID):
    """Rename a list (owner or member)."""
    me = caller_id()
    return _detail(services.rename(list_id=list_id, user_id=me, name=body["name"]))


@blp.route("/<uuid:list_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def delete_list(list_id: uuid.UUID):
    """Delete a list (owner only; the member gets 403)."""
    services.delete_list(list_id=list_id, user_id=caller_id())


@blp.route("/<uuid:list_id>/media", methods=["POST"])
@login_required
@idempotent
@blp.arguments(EntryCreate)
@blp.response(201, EntryOut)
@blp.doc(security=BEARER)
def add_media(body: dict, list_id: uuid.UUID):
    """Add a media to the list."""
    return entries.add_entry(
        list_id=list_id,
        user_id=caller_id(),
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
    """Change an entry's status, progress or rating."""
    me = caller_id()
    return entries.update_entry(list_id=list_id, user_id=me, media_id=media_id, changes=body)


@blp.route("/<uuid:list_id>/media/<int:media_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def remove_media(list_id: uuid.UUID, media_id: int):
    """Take a media off the list."""
    entries.remove_entry(list_id=list_id, user_id=caller_id(), media_id=media_id)
