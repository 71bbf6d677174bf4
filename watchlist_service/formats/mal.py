"""MyAnimeList XML exports (`<myanimelist><anime>...`), parsed with defusedxml only.

Each `<anime>` gives `series_animedb_id`, `my_status`, `my_score` (0 is none) and
`my_watched_episodes`. They are checked whole, then skipped with the reason: a
MyAnimeList id is not a TMDB id, and filing anime under it would name other titles.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from . import BadFile, ImportRow

LIST_NAME = "MyAnimeList"
_STATUSES = {"Watching", "Completed", "On-Hold", "Dropped", "Plan to Watch"}
_STATUS_CODES = {"1", "2", "3", "4", "6"}  # older exports number them
_NO_ID = "no TMDB id: a MyAnimeList export names anime by MyAnimeList id only"


def _number(anime: Element, tag: str, row: str, high: int, required: bool = False) -> None:
    text = (anime.findtext(tag) or "").strip()
    if not text and not required:
        return
    if not (text.isascii() and text.isdigit()) or int(text) > high or (required and int(text) == 0):
        raise BadFile(row, f"<{tag}> must be a whole number up to {high}.")


def _anime(anime: Element, row: str) -> ImportRow:
    _number(anime, "series_animedb_id", row, 2**31 - 1, required=True)
    _number(anime, "my_score", row, 10)
    _number(anime, "my_watched_episodes", row, 2**31 - 1)
    status = (anime.findtext("my_status") or "").strip()
    if status not in _STATUSES | _STATUS_CODES:
        raise BadFile(row, f"<my_status> must be one of {', '.join(sorted(_STATUSES))}.")
    return ImportRow(row=row, list_name=LIST_NAME, skip=_NO_ID)


def parse(data: bytes) -> list[ImportRow]:
    """Rows named `anime i` (0-based, in file order)."""
    try:
        root = fromstring(data)
    except ParseError as exc:
        line = exc.position[0] if exc.position else 1
        raise BadFile(f"line {line}", f"not well-formed XML ({exc.msg}).") from None
    except DefusedXmlException as exc:
        raise BadFile("file", f"XML refused ({exc.__class__.__name__}).") from None
    if root.tag != "myanimelist":
        raise BadFile("file", "not a MyAnimeList export (its root is not <myanimelist>).")
    return [_anime(anime, f"anime {i}") for i, anime in enumerate(root.iter("anime"))]
