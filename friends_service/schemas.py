"""Request and response shapes of the friends service."""

from __future__ import annotations

from marshmallow import Schema, fields

from servicekit.schemas import UtcDateTime


class FriendRequestCreate(Schema):
    """`POST /friends/requests`: whom to ask."""

    userId = fields.UUID(required=True)


class FriendOut(Schema):
    """One friend in the list."""

    userId = fields.UUID(attribute="user_id")
    displayName = fields.String(attribute="display_name", allow_none=True)
    since = UtcDateTime()


class FriendPage(Schema):
    """A page of friends; `degraded` when display names could not be fetched."""

    items = fields.List(fields.Nested(FriendOut))
    nextCursor = fields.String(allow_none=True)
    degraded = fields.Boolean()


class PendingRequestOut(Schema):
    """A pending request, incoming or outgoing; `userId` is the other person."""

    requestId = fields.UUID(attribute="request_id")
    userId = fields.UUID(attribute="user_id")
    displayName = fields.String(attribute="display_name", allow_none=True)
    createdAt = UtcDateTime(attribute="created_at")


class PendingRequests(Schema):
    """`GET /friends/requests`."""

    incoming = fields.List(fields.Nested(PendingRequestOut))
    outgoing = fields.List(fields.Nested(PendingRequestOut))
    degraded = fields.Boolean()


class RequestCreated(Schema):
    """A request just sent."""

    requestId = fields.UUID(attribute="request_id")
    userId = fields.UUID(attribute="user_id")
    createdAt = UtcDateTime(attribute="created_at")


class FriendshipOut(Schema):
    """A friendship just made (by accepting, or by asking someone who had asked you)."""

    userId = fields.UUID(attribute="user_id")
    since = UtcDateTime()
