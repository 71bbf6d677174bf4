"""`GET /friends/{userId}/common` and its internal twin: titles the caller and a friend
both hold in one status.

The public route is served by this service under the friends service's prefix (it holds
the entries and their lists' visibility); the gateway routes exactly this path here
(devstack.services.BORROWED_ROUTES). The internal one fills a shared list made "from
common" (friendswatchlist_service/common.py): only that service may call it, and it has
checked the friendship itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import EXCLUDE, Schema, fields, validate
from webargs.flaskparser import use_args

from servicekit.contract import STATUSES
from servicekit.identity import BEARER, caller_id, login_required, service_credential_required

from . import readers
from .common import CommonQuery, common_page, common_titles
from .schemas import CommonArgs, CommonPage

# The most titles one shared list is filled with from common (the rest are left out).
MAX_COMMON_TITLES = 1000

common = ApiBlueprint(
    "friends-common", __name__, url_prefix="/friends", description="Titles in common"
)
internal_common = Blueprint("internal-common", __name__, url_prefix="/internal")


@common.route("/<uuid:user_id>/common", methods=["GET"])
@login_required
@common.arguments(CommonArgs, location="query", as_kwargs=True)
@common.response(200, CommonPage)
@common.alt_response(404, description="Not an accepted friend (or yourself, or nobody)")
@common.alt_response(503, description="The friends service cannot tell; `Retry-After`")
@common.doc(security=BEARER)
def common_titles_with(user_id: uuid.UUID, **args):
    """Titles the caller (any of their lists) and a friend (the friend's `friends` and
    `public` lists) both hold in `status`, by (mediaType, mediaId)."""
    me = caller_id()
    readers.friend_reader(user_id, me)
    items, next_cursor = common_page(user_id=me, friend_id=user_id, **args)
    return {"items": items, "nextCursor": next_cursor}


class InternalCommonArgs(Schema):
    """`?userId=&friendId=&status=&limit=` of the internal read."""

    class Meta:
        unknown = EXCLUDE

    userId = fields.UUID(required=True)
    friendId = fields.UUID(required=True)
    status = fields.String(load_default="added", validate=validate.OneOf(STATUSES))
    limit = fields.Integer(
        load_default=MAX_COMMON_TITLES, validate=validate.Range(min=1, max=MAX_COMMON_TITLES)
    )


@internal_common.get("/common")
@service_credential_required("friendswatchlist")
@use_args(InternalCommonArgs(), location="query")
def internal_common_titles(args: dict[str, Any]) -> dict[str, Any]:
    """Up to `limit` titles `userId` and `friendId` both hold, as the public route counts
    them for `userId`; `truncated` when more exist."""
    query = CommonQuery(args["userId"], args["friendId"], args["status"], limit=args["limit"])
    titles, more = common_titles(query)
    return {"items": [{"mediaType": t, "mediaId": i} for t, i in titles], "truncated": more}
