"""HTTP routes of the user service: parse, call a service function, shape the answer."""

from __future__ import annotations

import uuid

from flask import Blueprint, request
from flask_smorest import Blueprint as ApiBlueprint
from webargs.flaskparser import use_args

from servicekit.errors import Unprocessable
from servicekit.identity import (
    BEARER,
    login_required,
    require_identity,
    service_credential_required,
)
from servicekit.schemas import comma_separated

from . import services
from .schemas import ProfileCreate, ProfileOut, ProfilePage, ProfileUpdate, UserQueryArgs

blp = ApiBlueprint("users", __name__, url_prefix="/users", description="Public profiles")
internal = Blueprint("internal", __name__, url_prefix="/internal")


@blp.route("/<uuid:user_id>", methods=["GET"])
@blp.response(200, ProfileOut)
def get_user(user_id: uuid.UUID):
    """A public profile."""
    return services.get_profile(user_id=user_id)


@blp.route("", methods=["GET"])
@login_required
@blp.arguments(UserQueryArgs, location="query", as_kwargs=True)
@blp.response(200, ProfilePage)
@blp.doc(security=BEARER)
def list_users(limit: int, cursor: str | None, ids: str | None = None, q: str | None = None):
    """Profiles by ids (`?ids=a,b`, at most 100) or by display-name prefix (`?q=`)."""
    if ids is not None and q is not None:
        raise Unprocessable("Give ids or q, not both.", errors={"q": ["Not with ids."]})
    if ids is not None:
        wanted = services.parse_ids(comma_separated(ids, max_items=services.MAX_BATCH, field="ids"))
        return {"items": services.get_many(user_ids=wanted), "nextCursor": None}
    if q is not None:
        items, next_cursor = services.search(prefix=q, limit=limit, cursor=cursor)
        return {"items": items, "nextCursor": next_cursor}
    raise Unprocessable("Give ids or q.", errors={"q": ["Give ids or q."]})


@blp.route("/<uuid:user_id>", methods=["PATCH"])
@login_required
@blp.arguments(ProfileUpdate)
@blp.response(200, ProfileOut)
@blp.doc(security=BEARER)
def rename_user(body: dict, user_id: uuid.UUID):
    """Change one's own display name."""
    return services.rename(
        caller=require_identity(), user_id=user_id, display_name=body["displayName"]
    )


@internal.put("/users/<uuid:user_id>")
@service_credential_required("auth")
@use_args(ProfileCreate(), location="json")
def put_user(body: dict, user_id: uuid.UUID):
    """Create a profile for a new account (auth service only; idempotent)."""
    profile, created = services.create_profile(user_id=user_id, display_name=body["displayName"])
    return ProfileOut().dump(profile), 201 if created else 200


@internal.get("/users")
@service_credential_required("activity", "friends", "friendswatchlist")
def batch_users():
    """Profiles by `?ids=a,b` (at most 100) for other services' display names."""
    raw = request.args.get("ids", "")
    wanted = services.parse_ids(comma_separated(raw, max_items=services.MAX_BATCH, field="ids"))
    return {"items": ProfileOut(many=True).dump(services.get_many(user_ids=wanted))}


@internal.delete("/users/<uuid:user_id>")
@service_credential_required("auth")
def delete_user(user_id: uuid.UUID):
    """Remove a profile (auth service only: undoing a sign-up that failed)."""
    services.delete_profile(user_id=user_id)
    return "", 204
