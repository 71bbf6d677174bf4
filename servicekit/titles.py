"""What both list services take and show of a typed entry: type, notes, episode progress.

An entry is identified by (list, `mediaType`, `mediaId`). `notes` are shown to those who
may write the list (owner and members, today every reader); `OWNER_ONLY` names them, so
a later read-only view for others drops exactly these fields. `episodeProgress`
(`{season, episode}`) sits next to the plain `progress` number and is for series only.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .contract import DEFAULT_MEDIA_TYPE, MEDIA_TYPES
from .errors import Unprocessable

MAX_NOTES = 2000
OWNER_ONLY = ("notes",)
MAX_EPISODE = 2**15 - 1


def media_type_field(**kwargs: Any) -> fields.String:
    """`mediaType` of a new entry: `movie` or `tv`; absent means movie (for one release)."""
    return fields.String(
        load_default=DEFAULT_MEDIA_TYPE,
        validate=validate.OneOf(MEDIA_TYPES),
        metadata={"description": "`movie` or `tv`; absent is `movie` for one release."},
        **kwargs,
    )


def notes_field() -> fields.String:
    """`notes`: up to 2,000 characters; `null` clears them."""
    return fields.String(allow_none=True, validate=validate.Length(max=MAX_NOTES))


class EpisodeProgress(Schema):
    """Where a series stands: `{season, episode}` (season 0 holds the specials)."""

    season = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_EPISODE))
    episode = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_EPISODE))


def episode_progress_field() -> fields.Nested:
    """`episodeProgress`: `{season, episode}` for a series, `null` clears it; 422 on a movie."""
    return fields.Nested(EpisodeProgress, allow_none=True)


def episode_columns(media_type: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The `season`/`episode` column values of `changes`; 422 if a movie is given any."""
    if "episodeProgress" not in changes:
        return {}
    value = changes["episodeProgress"]
    if value is not None and media_type != "tv":
        message = "Only a series (mediaType tv) has episode progress."
        raise Unprocessable(message, errors={"episodeProgress": [message]})
    value = value or {}
    return {"season": value.get("season"), "episode": value.get("episode")}


def episode_progress(season: int | None, episode: int | None) -> dict[str, int | None] | None:
    """The `episodeProgress` object of stored columns, or None."""
    return None if season is None else {"season": season, "episode": episode}
