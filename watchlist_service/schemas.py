"""Request and response shapes of the watchlist service."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from servicekit.contract import (
    MAX_MEDIA_ID,
    MAX_RATING,
    MEDIA_TYPES,
    MIN_MEDIA_ID,
    MIN_RATING,
    PRIVATE,
    STATUSES,
    VISIBILITIES,
)
from servicekit.keyset import MediaPageArgs as KitMediaPageArgs
from servicekit.preconditions import etag as entity_tag
from servicekit.schemas import PageArgs, UtcDateTime
from servicekit.titles import (
    episode_progress,
    episode_progress_field,
    media_type_field,
    notes_field,
)

from .models import MAX_PROGRESS


def _name(required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.And(
            validate.Length(min=1, max=100),
            validate.Regexp(r"(?s).*\S", error="Must not be blank."),
        ),
    )


def _status(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(STATUSES), **kwargs)


def _progress() -> fields.Integer:
    return fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_PROGRESS)
    )


def _rating() -> fields.Integer:
    return fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=MIN_RATING, max=MAX_RATING)
    )


def _visibility(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(VISIBILITIES),
        metadata={"description": "Who may read it: `private`, `friends`, `unlisted`, `public`."},
        **kwargs,
    )


class ListCreate(Schema):
    """`POST /watchlists`."""

    name = _name()
    visibility = _visibility(load_default=PRIVATE)


class ListUpdate(Schema):
    """`PATCH /watchlists/{listId}`: a new name, a new visibility, or both."""

    name = _name(required=False)
    visibility = _visibility()

    @validates_schema
    def _not_empty(self, data: dict, **_kwargs) -> None:
        if not data:
            raise ValidationError("Give name, visibility or both.")


class EntryCreate(Schema):
    """`POST /watchlists/{listId}/media`."""

    mediaType = media_type_field()
    mediaId = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=MIN_MEDIA_ID, max=MAX_MEDIA_ID)
    )
    status = _status(load_default="added")
    progress = _progress()
    episodeProgress = episode_progress_field()
    rating = _rating()
    notes = notes_field()


class EntryUpdate(Schema):
    """`PATCH .../media/{mediaType}/{mediaId}`: at least one field; `null` clears."""

    status = _status()
    progress = _progress()
    episodeProgress = episode_progress_field()
    rating = _rating()
    notes = notes_field()

    @validates_schema
    def _not_empty(self, data: dict, **_kwargs) -> None:
        if not data:
            raise ValidationError(
                "Give at least one of status, progress, episodeProgress, rating, notes."
            )


class EntryOut(Schema):
    """One film or series in a list (`notes` only for its owner and members)."""

    mediaType = fields.String(attribute="media_type")
    mediaId = fields.Integer(attribute="media_id")
    status = fields.String()
    progress = fields.Integer(allow_none=True)
    episodeProgress = fields.Function(
        lambda entry: episode_progress(entry.season, entry.episode),
        metadata={"description": "`{season, episode}` of a series, or null."},
    )
    rating = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    timesWatched = fields.Integer(attribute="times_watched")
    lastWatchedAt = UtcDateTime(attribute="last_watched_at", allow_none=True)
    addedAt = UtcDateTime(attribute="added_at")
    updatedAt = UtcDateTime(attribute="updated_at")
    etag = fields.Function(
        lambda entry: entity_tag(entry.version),
        metadata={"description": "The entry's ETag, for `If-Match` on its PATCH or DELETE."},
    )


class ListOut(Schema):
    """A list with the number of media it holds."""

    listId = fields.UUID(attribute="id")
    name = fields.String()
    visibility = fields.String()
    mediaCount = fields.Integer(attribute="media_count")
    createdAt = UtcDateTime(attribute="created_at")
    updatedAt = UtcDateTime(attribute="updated_at")


class ListDetailOut(ListOut):
    """A list with the first page of its media (oldest addition first)."""

    media = fields.List(
        fields.Nested(EntryOut),
        metadata={"description": "The first page; `GET .../media?cursor=<nextCursor>` reads on."},
    )
    nextCursor = fields.String(allow_none=True)


class EntryPage(Schema):
    """A page of a list's media."""

    items = fields.List(fields.Nested(EntryOut))
    nextCursor = fields.String(allow_none=True)


class MediaPageArgs(KitMediaPageArgs):
    """`GET /watchlists/{listId}/media?status=&sort=&order=&limit=&cursor=`."""


class ListPage(Schema):
    """A page of the caller's lists, newest first."""

    items = fields.List(fields.Nested(ListOut))
    nextCursor = fields.String(allow_none=True)


class ListPageArgs(PageArgs):
    """`GET /watchlists?limit=&cursor=`."""


class PersonListPage(ListPage):
    """A page of a person's lists that the caller may see, newest first."""

    degraded = fields.Boolean(
        metadata={
            "description": "True when friendship could not be checked: `friends` lists left out."
        }
    )


class CommonArgs(PageArgs):
    """`GET /friends/{userId}/common?status=&mediaType=&limit=&cursor=`."""

    status = _status(
        load_default="added",
        metadata={"description": "The entry status both hold the titles in (default `added`)."},
    )
    mediaType = fields.String(
        data_key="mediaType",
        attribute="media_type",
        load_default=None,
        validate=validate.OneOf(MEDIA_TYPES),
        metadata={"description": "`movie` or `tv`: only titles of that type."},
    )


class TitleOut(Schema):
    """One title: `mediaType` and `mediaId`."""

    mediaType = fields.String()
    mediaId = fields.Integer()


class CommonPage(Schema):
    """A page of the titles the caller and a friend both hold, by (mediaType, mediaId)."""

    items = fields.List(fields.Nested(TitleOut))
    nextCursor = fields.String(allow_none=True)
