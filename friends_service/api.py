"""HTTP routes of the friends service: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid

from flask import make_response
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, login_required
from servicekit.schemas import PageArgs
from servicekit.user_names import display_names

from . import services
from .models import db, idempotency_keys
from .schemas import (
    FriendPage,
    FriendRequestCreate,
    FriendshipOut,
    PendingRequests,
    RequestCreated,
)

blp = ApiBlueprint("friends", __name__, url_prefix="/friends", description="Friends")
idempotent = Idempotency(db, idempotency_keys)


def _with_names(items: list) -> bool:
    """Fill `display_name` from one batch lookup; True when the user service failed."""
    names = display_names(item.user_id for item in items)
    if names.degraded:
        return True
    for item in items:
        item.display_name = names.by_id.get(item.user_id)
    return False


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, FriendPage)
@blp.doc(security=BEARER)
def list_friends(limit: int, cursor: str | None):
    """The caller's friends with display names, oldest friendship first."""
    items, next_cursor = services.list_friends(user_id=caller_id(), limit=limit, cursor=cursor)
    return {"items": items, "nextCursor": next_cursor, "degraded": _with_names(items)}


@blp.route("/requests", methods=["GET"])
@login_required
@blp.response(200, PendingRequests)
@blp.doc(security=BEARER)
def list_requests():
    """Pending requests to and from the caller, newest first."""
    incoming, outgoing = services.list_requests(user_id=caller_id())
    degraded = _with_names(incoming + outgoing)
    return {"incoming": incoming, "outgoing": outgoing, "degraded": degraded}


@blp.route("/requests", methods=["POST"])
@login_required
@idempotent
@blp.arguments(FriendRequestCreate)
@blp.response(201, RequestCreated)
@blp.alt_response(200, schema=FriendshipOut, description="They had asked you: now friends")
@blp.doc(security=BEARER)
def send_request(body: dict):
    """Ask someone to be friends; accepts instead when they had already asked the caller."""
    result = services.send_request(caller=caller_id(), user_id=body["userId"])
    if isinstance(result, services.Friend):
        return make_response(FriendshipOut().dump(result), 200)
    return result


@blp.route("/requests/<uuid:request_id>/accept", methods=["POST"])
@login_required
@blp.response(200, FriendshipOut)
@blp.doc(security=BEARER)
def accept_request(request_id: uuid.UUID):
    """Accept a request addressed to the caller."""
    return services.accept_request(caller=caller_id(), request_id=request_id)


@blp.route("/requests/<uuid:request_id>/decline", methods=["POST"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def decline_request(request_id: uuid.UUID):
    """Decline a request addressed to the caller."""
    services.decline_request(caller=caller_id(), request_id=request_id)


@blp.route("/requests/<uuid:request_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def withdraw_request(request_id: uuid.UUID):
    """Withdraw a request the caller sent."""
    services.withdraw_request(caller=caller_id(), request_id=request_id)


@blp.route("/<uuid:user_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def unfriend(user_id: uuid.UUID):
    """End a friendship, from either side."""
    services.unfriend(caller=caller_id(), user_id=user_id)
