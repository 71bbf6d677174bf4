"""Request and response shapes of the user service."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from servicekit.schemas import DisplayName, PageArgs, UtcDateTime


class ProfileOut(Schema):
    """A public profile."""

    userId = fields.UUID(attribute="id")
    displayName = fields.String(attribute="display_name")
    createdAt = UtcDateTime(attribute="created_at")


class ProfileUpdate(Schema):
    """`PATCH /users/{userId}`."""

    displayName = DisplayName(required=True)


class ProfileCreate(Schema):
    """The auth service's internal create call."""

    displayName = DisplayName(required=True)


class UserQueryArgs(PageArgs):
    """`GET /users?ids=` or `GET /users?q=`."""

    class Meta:
        unknown = EXCLUDE

    ids = fields.String(validate=validate.Length(max=100 * 40))
    # A blank prefix would match every profile: `?q=+++` is a search for nothing.
    q = fields.String(
        validate=validate.And(
            validate.Length(min=1, max=50),
            validate.Regexp(r".*\S", error="Must not be blank."),
        )
    )


class ProfilePage(Schema):
    """A page of profiles."""

    items = fields.List(fields.Nested(ProfileOut))
    nextCursor = fields.String(allow_none=True)
