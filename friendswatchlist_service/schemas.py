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

from .models import MAX_PEOPLE

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


def _distinct(ids: list) -> None:
    if len(set(ids)) != len(ids):
        raise ValidationError("Name each friend once.")


class FromCommon(Schema):
    """`fromCommon` of `POST /friendswatchlists`: a friend, and the status both hold titles in."""

    friendId = fields.UUID(required=True)
    status = _status(load_default="added")


class ListCreate(Schema):
    """`POST /friendswatchlists`: `{name, friendId}`, `{name, friendIds}` or
    `{name?, fromCommon}` (exactly one of the three ways to invite)."""

    INVITES = ("friendId", "friendIds", "fromCommon")

    name = _name(required=False)
    friendId = fields.UUID()
    friendIds = fields.List(
        fields.UUID(),
        validate=validate.And(validate.Length(min=1, max=MAX_PEOPLE - 1), _distinct),
        metadata={"description": f"Up to {MAX_PEOPLE - 1} friends, each invited."},
    )
    fromCommon = fields.Nested(
        FromCommon,
        metadata={"description": "Invite this friend and fill the list with the titles in common."},
    )

    @validates_schema
    def _one_way_to_invite(self, data: dict, **_kwargs) -> None:
        given = [name for name in self.INVITES if name in data]
        if len(given) != 1:
            raise ValidationError(f"Give exactly one of {', '.join(self.INVITES)}.", "friendId")
        if "fromCommon" not in data and "name" not in data:
            raise ValidationError("Missing data for required field.", "name")


class PersonRef(Schema):
    """`POST .../members` and `POST .../owner`: whom."""

    userId = fields.UUID(required=True)


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


class MemberOut(PersonOut):
    """Someone besides the owner: `invited`, or `active` once they accepted; since when."""

    state = fields.String(validate=validate.OneOf(["invited", "active"]))
    since = UtcDateTime()


class ListSummary(Schema):
    """A list in the overview; `member` is the first active member (by joined time)."""

    listId = fields.UUID()
    name = fields.String()
    owner = fields.Nested(PersonOut)
    member = fields.Nested(PersonOut, allow_none=True)
    members = fields.List(
        fields.Nested(MemberOut),
        metadata={"description": "Active members by joined time, then unanswered invites."},
    )
    state = fields.String()
    updatedAt = UtcDateTime()


class ListOut(ListSummary):
    """One list with its earliest unanswered invite and the first page of its media."""

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
