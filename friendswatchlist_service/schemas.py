"""Request and response shapes of the shared-watchlist service."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from servicekit.contract import MAX_MEDIA_ID, MAX_RATING, MIN_MEDIA_ID, MIN_RATING, STATUSES
from servicekit.keyset import MediaPageArgs as KitMediaPageArgs
from servicekit.preconditions import etag as entity_tag
from servicekit.schemas import PageArgs, UtcDateTime
from servicekit.titles import (
    episode_progress,
    episode_progress_field,
    media_type_field,
    notes_field,
)

MAX_PROGRESS = 2**31 - 1  # INTEGER


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


class FromCommon(Schema):
    """`fromCommon` of `POST /friendswatchlists`: a friend, and the status both hold titles in."""

    friendId = fields.UUID(required=True)
    status = _status(load_default="added")


class ListCreate(Schema):
    """`POST /friendswatchlists`: `{name, friendId}`, or `{name?, fromCommon}` (exactly one
    of `friendId` and `fromCommon`)."""

    name = _name(required=False)
    friendId = fields.UUID()
    fromCommon = fields.Nested(
        FromCommon,
        metadata={"description": "Invite this friend and fill the list with the titles in common."},
    )

    @validates_schema
    def _one_friend(self, data: dict, **_kwargs) -> None:
        if ("friendId" in data) == ("fromCommon" in data):
            raise ValidationError("Give exactly one of friendId and fromCommon.", "friendId")
        if "friendId" in data and "name" not in data:
            raise ValidationError("Missing data for required field.", "name")


class ListUpdate(Schema):
    """`PATCH /friendswatchlists/{listId}`."""

    name = _name()


class EntryCreate(Schema):
    """`POST /friendswatchlists/{listId}/media`."""

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
    def _not_empty(self, data: dict, **kwargs) -> None:
        if not data:
            raise ValidationError(
                "Give at least one of status, progress, episodeProgress, rating, notes."
            )


class PersonOut(Schema):
    """Someone on a list, with the display name the user service gave (null if it was away)."""

    userId = fields.UUID()
    displayName = fields.String(allow_none=True)


class EntryOut(Schema):
    """One media entry (`notes` only for the list's owner and member)."""

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


class ListSummary(Schema):
    """A list in the overview."""

    listId = fields.UUID()
    name = fields.String()
    owner = fields.Nested(PersonOut)
    member = fields.Nested(PersonOut, allow_none=True)
    state = fields.String()
    updatedAt = UtcDateTime()


class ListOut(ListSummary):
    """One list with its invitee (while pending) and the first page of its media."""

    invitee = fields.Nested(PersonOut, allow_none=True)
    createdAt = UtcDateTime()
    mediaCount = fields.Integer(metadata={"description": "All the media of the list."})
    media = fields.List(
        fields.Nested(EntryOut),
        metadata={"description": "The first page; `GET .../media?cursor=<nextCursor>` reads on."},
    )
    nextCursor = fields.String(allow_none=True)
    degraded = fields.Boolean()


class EntryPage(Schema):
    """`GET /friendswatchlists/{listId}/media`."""

    items = fields.List(fields.Nested(EntryOut))
    nextCursor = fields.String(allow_none=True)


class MediaPageArgs(KitMediaPageArgs):
    """`?mediaType=&status=&sort=&order=&limit=&cursor=`."""


class Overview(Schema):
    """`GET /friendswatchlists`."""

    items = fields.List(fields.Nested(ListSummary))
    nextCursor = fields.String(allow_none=True)
    pendingInvites = fields.Integer()
    degraded = fields.Boolean()


class InviteOut(Schema):
    """An invite waiting for the caller."""

    listId = fields.UUID()
    name = fields.String()
    owner = fields.Nested(PersonOut)
    sentAt = UtcDateTime()


class InvitePage(Schema):
    """`GET /friendswatchlists/invites`."""

    items = fields.List(fields.Nested(InviteOut))
    nextCursor = fields.String(allow_none=True)
    degraded = fields.Boolean()


class ListPageArgs(PageArgs):
    """`?limit=` and `?cursor=`."""
