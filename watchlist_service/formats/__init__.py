"""Import file formats: each parser turns a whole file into checked `ImportRow`s.

A parser reads the file completely and raises `BadFile` naming the first bad row (an
item index or a line number) before anything is written; rows it cannot file under a
title id (formats without TMDB ids) come back with a `skip` reason instead of a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from servicekit.contract import MAX_MEDIA_ID, MAX_RATING, MEDIA_TYPES, MIN_RATING, STATUSES
from servicekit.errors import Unprocessable
from servicekit.titles import MAX_EPISODE, MAX_NOTES

MAX_LIST_NAME = 100
MAX_PROGRESS = 2**31 - 1


class BadFile(Unprocessable):
    """The file cannot be imported; `row` names the first bad row; nothing is written."""

    def __init__(self, row: str, message: str):
        super().__init__(f"{row}: {message}", errors={row: [message]}, row=row)


@dataclass
class ImportRow:
    """One title to file in one list, with only the fields the file gives."""

    row: str
    list_name: str
    media_type: str = "movie"
    media_id: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    watches: list[datetime] = field(default_factory=list)
    skip: str | None = None
    # only makes sure the list exists (an exported empty list)
    list_only: bool = False


def parse_time(value: Any, row: str, what: str) -> datetime:
    """An ISO 8601 time (UTC when it has no offset), never in the future."""
    if not isinstance(value, str):
        raise BadFile(row, f"{what} is not a time.")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadFile(row, f"{what} is not an ISO 8601 time: {value[:40]!r}.") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > datetime.now(UTC):
        raise BadFile(row, f"{what} is in the future.")
    return when


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _check_int(row: str, name: str, value: Any, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadFile(row, f"{name} must be a whole number from {low} to {high}.")


def check(item: ImportRow) -> ImportRow:
    """Refuse a row the database would refuse, naming it."""
    row, v = item.row, item.values
    name = item.list_name.strip()
    if not 1 <= len(name) <= MAX_LIST_NAME or not _storable(name):
        raise BadFile(row, f"the list name must be 1 to {MAX_LIST_NAME} characters, not blank.")
    item.list_name = name
    if item.skip or item.list_only:
        return item
    if item.media_type not in MEDIA_TYPES:
        raise BadFile(row, f"mediaType must be one of {', '.join(MEDIA_TYPES)}.")
    _check_int(row, "mediaId", item.media_id, 1, MAX_MEDIA_ID)
    if "status" in v and v["status"] not in STATUSES:
        raise BadFile(row, f"status must be one of {', '.join(STATUSES)}.")
    _check_int(row, "rating", v.get("rating"), MIN_RATING, MAX_RATING)
    _check_int(row, "progress", v.get("progress"), 0, MAX_PROGRESS)
    _check_int(row, "season", v.get("season"), 0, MAX_EPISODE)
    _check_int(row, "episode", v.get("episode"), 1, MAX_EPISODE)
    if (v.get("season") is None) != (v.get("episode") is None):
        raise BadFile(row, "episodeProgress needs both season and episode.")
    if v.get("season") is not None and item.media_type != "tv":
        raise BadFile(row, "only a series (mediaType tv) has episode progress.")
    notes = v.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        raise BadFile(row, f"notes must be text of at most {MAX_NOTES} characters.")
    if notes is not None and not _storable(notes):
        raise BadFile(row, "notes must not contain NUL characters or unpaired surrogates.")
    return item


Parser = Callable[[bytes], list[ImportRow]]


def parsers() -> dict[str, Parser]:
    """The import formats by their `format` parameter."""
    from . import letterboxd, mal, own, trakt

    return {
        "json": own.parse,
        "trakt": trakt.parse,
        "letterboxd": letterboxd.parse,
        "mal": mal.parse,
    }


def parse(format_name: str, data: bytes) -> list[ImportRow]:
    """Every row of the file, checked; `BadFile` at the first bad one."""
    return [check(item) for item in parsers()[format_name](data)]


def decode(data: bytes, row: str = "file") -> str:
    """The file as UTF-8 text (a byte order mark is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(row, f"the file is not UTF-8 text (byte {exc.start}).") from None
