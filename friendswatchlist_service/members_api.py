"""HTTP routes of a shared list's people: invites, joining, leaving, removing, the owner."""

from __future__ import annotations

import uuid

from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import BEARER, caller_id, login_required
from servicekit.preconditions import ETAG_HEADER
from servicekit.user_names import display_names

from . import answers, members, services
from .schemas import InvitePage, ListOut, ListPageArgs, PersonRef

member_blp = ApiBlueprint(
    "friendswatchlist-members",
    __name__,
    url_prefix="/friendswatchlists",
    description="People of shared lists",
)


@member_blp.route("/invites", methods=["GET"])
@login_required
@member_blp.arguments(ListPageArgs, location="query", as_kwargs=True)
@member_blp.response(200, InvitePage)
@member_blp.doc(security=BEARER)
def list_invites(limit: int, cursor: str | None):
    """Invites waiting for me, newest first."""
    rows, next_cursor = services.invites(user_id=caller_id(), limit=limit, cursor=cursor)
    names = display_names([s.owner_id for s, _ in rows])
    items = [
        {"listId": s.id, "name": s.name, "owner": names.person(s.owner_id), "sentAt": sent}
        for s, sent in rows
    ]
    return answers.degraded({"items": items, "nextCursor": next_cursor}, names)


@member_blp.route("/<uuid:list_id>/accept", methods=["POST"])
@login_required
@member_blp.response(200, ListOut, headers=ETAG_HEADER)
@member_blp.doc(security=BEARER)
def accept_invite(list_id: uuid.UUID):
    """Join a list I am invited to."""
    return answers.detail(members.accept(list_id=list_id, user_id=caller_id()))


@member_blp.route("/<uuid:list_id>/decline", methods=["POST"])
@login_required
@member_blp.response(204)
@member_blp.doc(security=BEARER)
def decline_invite(list_id: uuid.UUID):
    """Refuse an invite; a pending list without another invite is deleted."""
    members.decline(list_id=list_id, user_id=caller_id())


@member_blp.route("/<uuid:list_id>/leave", methods=["POST"])
@login_required
@member_blp.response(204)
@member_blp.doc(security=BEARER)
def leave_list(list_id: uuid.UUID):
    """Leave a list I own or am a member of."""
    members.leave(list_id=list_id, user_id=caller_id())


@member_blp.route("/<uuid:list_id>/members", methods=["POST"])
@login_required
@member_blp.arguments(PersonRef)
@member_blp.response(201, ListOut, headers=ETAG_HEADER)
@member_blp.doc(security=BEARER)
def invite_member(body: dict, list_id: uuid.UUID):
    """Invite one more accepted friend to my list (owner only)."""
    shared, names = members.add_member(
        list_id=list_id, owner_id=caller_id(), user_id=body["userId"]
    )
    return answers.detail(shared, names)


@member_blp.route("/<uuid:list_id>/members/<uuid:user_id>", methods=["DELETE"])
@login_required
@member_blp.response(204)
@member_blp.doc(security=BEARER)
def remove_member(list_id: uuid.UUID, user_id: uuid.UUID):
    """Take a member off my list, or withdraw an invite (owner only)."""
    members.remove_member(list_id=list_id, owner_id=caller_id(), user_id=user_id)


@member_blp.route("/<uuid:list_id>/owner", methods=["POST"])
@login_required
@member_blp.arguments(PersonRef)
@member_blp.response(200, ListOut, headers=ETAG_HEADER)
@member_blp.doc(security=BEARER)
def hand_over(body: dict, list_id: uuid.UUID):
    """Make an active member the owner; I stay on as a member."""
    shared = members.hand_over(list_id=list_id, owner_id=caller_id(), user_id=body["userId"])
    return answers.detail(shared)
