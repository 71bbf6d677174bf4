"""Response shapes of the activity service."""

from __future__ import annotations

from marshmallow import Schema, fields

from servicekit.schemas import UtcDateTime

from .models import KINDS


class PersonOut(Schema):
    """Who did it, with the display name of the one batch lookup (null when unknown)."""

    userId = fields.UUID()
    displayName = fields.String(allow_none=True)


class ActivityOut(Schema):
    """One thing a person did; the title's fields are null for a list made public."""

    activityId = fields.String(metadata={"description": "Opaque, unique per activity."})
    type = fields.String(metadata={"enum": list(KINDS)})
    occurredAt = UtcDateTime()
    actor = fields.Nested(PersonOut)
    listId = fields.UUID()
    mediaType = fields.String(allow_none=True, metadata={"enum": ["movie", "tv"]})
    mediaId = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)


class ActivityPage(Schema):
    """A page of activity, newest first; `degraded` when display names are missing."""

    items = fields.List(fields.Nested(ActivityOut))
    nextCursor = fields.String(allow_none=True)
    degraded = fields.Boolean()
