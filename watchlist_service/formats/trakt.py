"""Trakt JSON exports: `watchlist` and `history` items, each a movie or a show with `ids.tmdb`.

A file is one exported array (watchlist.json or history.json, told apart per item by
`watched_at`) or an object `{"watchlist": [...], "history": [...]}`. Watchlist items go to
the list "Trakt watchlist" as `added`; history items to "Trakt history" as `watched`,
each history item of one title one watch. Items of other types (`episode`, `season`,
`person`) and titles without a TMDB id are skipped with the reason.
"""

from __future__ import annotations

from typing import Any

from . import BadFile, ImportRow, parse_time
from .own import load_json

WATCHLIST, HISTORY = "Trakt watchlist", "Trakt history"
_TYPES = {"movie": "movie", "show": "tv"}


def _title_id(item: dict[str, Any], row: str) -> int | None:
    title = item.get(item["type"])
    if not isinstance(title, dict) or not isinstance(title.get("ids", {}), dict):
        raise BadFile(row, f"a {item['type']} item needs a `{item['type']}` object with `ids`.")
    tmdb = title.get("ids", {}).get("tmdb")
    if tmdb is not None and (isinstance(tmdb, bool) or not isinstance(tmdb, int)):
        raise BadFile(row, "ids.tmdb must be a whole number.")
    return tmdb


def _item(item: Any, row: str, history: bool) -> ImportRow:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise BadFile(row, "an item must be an object with a `type`.")
    history = history or "watched_at" in item
    list_name = HISTORY if history else WATCHLIST
    if item["type"] not in _TYPES:
        return ImportRow(row=row, list_name=list_name, skip=f"a {item['type']} is not a title")
    tmdb = _title_id(item, row)
    media_type = _TYPES[item["type"]]
    if tmdb is None:
        return ImportRow(row=row, list_name=list_name, skip="no TMDB id (ids.tmdb)")
    values: dict[str, Any] = {"status": "watched" if history else "added"}
    if item.get("rating") is not None:
        values["rating"] = item["rating"]
    watches = [parse_time(item.get("watched_at"), row, "watched_at")] if history else []
    return ImportRow(row, list_name, media_type, tmdb, values, watches)


def parse(data: bytes) -> list[ImportRow]:
    """Rows named `watchlist[i]` / `history[i]` (or `item i` in a bare array)."""
    document = load_json(data)
    if isinstance(document, list):
        return [_item(item, f"item {i}", False) for i, item in enumerate(document)]
    if not isinstance(document, dict) or not set(document) & {"watchlist", "history"}:
        raise BadFile("file", "a Trakt export is an array or {watchlist, history}.")
    rows = []
    for key in ("watchlist", "history"):
        items = document.get(key, [])
        if not isinstance(items, list):
            raise BadFile(key, f"`{key}` must be an array.")
        rows += [_item(item, f"{key}[{i}]", key == "history") for i, item in enumerate(items)]
    return rows
