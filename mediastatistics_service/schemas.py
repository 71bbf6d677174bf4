"""Request and response shapes of the media statistics service."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from servicekit.contract import MEDIA_TYPES
from servicekit.schemas import UtcDateTime

from .person_stats import DEFAULT_MONTHS, MAX_MONTHS
from .trending import PERIODS

MAX_TOP = 100
# The API takes the event's status names; `onHold` is accepted too, as responses spell it.
STATUS_NAMES = ("added", "watching", "watched", "on_hold", "onHold", "dropped")


class MediaStatsOut(Schema):
    """The counters of one title."""

    mediaType = fields.String(attribute="media_type")
    mediaId = fields.Integer(attribute="media_id")
    added = fields.Integer()
    watching = fields.Integer()
    watched = fields.Integer()
    onHold = fields.Integer(attribute="on_hold")
    dropped = fields.Integer()
    total = fields.Integer()
    ratingCount = fields.Integer(attribute="rating_count")
    ratingAverage = fields.Float(attribute="rating_average", allow_none=True)
    ratingDistribution = fields.Dict(
        attribute="rating_distribution", keys=fields.String(), values=fields.Integer()
    )
    updatedAt = UtcDateTime(attribute="updated_at", allow_none=True)


class MediaStatsList(Schema):
    """`{items}` of media counters."""

    items = fields.List(fields.Nested(MediaStatsOut))


class BatchArgs(Schema):
    """`GET /mediastatistics?ids=movie:603,tv:1399` (bare ids, movies, for one release)."""

    class Meta:
        unknown = EXCLUDE

    ids = fields.String(required=True, validate=validate.Length(min=1, max=100 * 26))


class TopArgs(Schema):
    """`GET /mediastatistics/top?status=&mediaType=&limit=`."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=validate.OneOf(STATUS_NAMES))
    mediaType = fields.String(load_default=None, validate=validate.OneOf(MEDIA_TYPES))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_TOP))


class TrendingArgs(Schema):
    """`GET /mediastatistics/trending?period=&mediaType=&limit=`."""

    class Meta:
        unknown = EXCLUDE

    period = fields.String(load_default="week", validate=validate.OneOf(tuple(PERIODS)))
    mediaType = fields.String(load_default=None, validate=validate.OneOf(MEDIA_TYPES))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_TOP))


class TrendOut(Schema):
    """One trending title: people who added it and who started it in the window."""

    mediaType = fields.String(attribute="media_type")
    mediaId = fields.Integer(attribute="media_id")
    adds = fields.Integer()
    starts = fields.Integer()
    score = fields.Integer()


class TrendingOut(Schema):
    """`{period, since, items}`: the window's first hour and its titles, most first."""

    period = fields.String()
    since = UtcDateTime()
    items = fields.List(fields.Nested(TrendOut))


class ReconcileOut(Schema):
    """What a reconciliation run found and repaired."""

    mediaCompared = fields.Integer(attribute="media_compared")
    mediaDiffered = fields.Integer(attribute="media_differed")
    mediaUnsettled = fields.Integer(attribute="media_unsettled")


class PersonStatsArgs(Schema):
    """`GET /users/{userId}/stats?months=`: how many months of titles finished to show."""

    class Meta:
        unknown = EXCLUDE

    months = fields.Integer(
        load_default=DEFAULT_MONTHS, validate=validate.Range(min=1, max=MAX_MONTHS)
    )


class StatusCounts(Schema):
    """Titles per status (a title held in two lists in one status counts once)."""

    added = fields.Integer()
    watching = fields.Integer()
    watched = fields.Integer()
    onHold = fields.Integer(attribute="on_hold")
    dropped = fields.Integer()


class TypeCounts(Schema):
    """Titles held in any status, per type."""

    movie = fields.Integer()
    tv = fields.Integer()


class MonthCount(Schema):
    """Titles moved into `watched` in one month (`YYYY-MM`, UTC) of the events."""

    month = fields.String()
    count = fields.Integer()


class PersonStatsOut(Schema):
    """One person's figures, as far as the reader may see them (`visibleTo`)."""

    userId = fields.UUID(attribute="user_id")
    visibleTo = fields.String(attribute="visible_to")
    degraded = fields.Boolean()
    statuses = fields.Nested(StatusCounts)
    total = fields.Integer()
    byType = fields.Nested(TypeCounts, attribute="by_type")
    watches = fields.Integer()
    ratingCount = fields.Integer(attribute="rating_count")
    ratingAverage = fields.Float(attribute="rating_average", allow_none=True)
    ratingDistribution = fields.Dict(
        attribute="rating_distribution", keys=fields.String(), values=fields.Integer()
    )
    finishedPerMonth = fields.List(fields.Nested(MonthCount), attribute="finished_per_month")
