"""Request and response shapes of the media statistics service."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from servicekit.schemas import UtcDateTime

MAX_TOP = 100
# The API takes the event's status names; `onHold` is accepted too, as responses spell it.
STATUS_NAMES = ("added", "watching", "watched", "on_hold", "onHold", "dropped")


class MediaStatsOut(Schema):
    """The counters of one media."""

    mediaId = fields.Integer(attribute="media_id")
    added = fields.Integer()
    watching = fields.Integer()
    watched = fields.Integer()
    onHold = fields.Integer(attribute="on_hold")
    dropped = fields.Integer()
    total = fields.Integer()
    ratingCount = fields.Integer(attribute="rating_count")
    ratingAverage = fields.Float(attribute="rating_average", allow_none=True)
    updatedAt = UtcDateTime(attribute="updated_at", allow_none=True)


class MediaStatsList(Schema):
    """`{items}` of media counters."""

    items = fields.List(fields.Nested(MediaStatsOut))


class BatchArgs(Schema):
    """`GET /mediastatistics?ids=1,2,3`."""

    class Meta:
        unknown = EXCLUDE

    ids = fields.String(required=True, validate=validate.Length(min=1, max=100 * 21))


class TopArgs(Schema):
    """`GET /mediastatistics/top?status=&limit=`."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=validate.OneOf(STATUS_NAMES))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_TOP))


class ReconcileOut(Schema):
    """What a reconciliation run found and repaired."""

    mediaCompared = fields.Integer(attribute="media_compared")
    mediaDiffered = fields.Integer(attribute="media_differed")
    mediaUnsettled = fields.Integer(attribute="media_unsettled")
