"""This project's own JSON export (docs/export.schema.json) read back for import."""

from __future__ import annotations

import json
from typing import Any

from . import BadFile, ImportRow, decode, parse_time

EXPORT_FORMAT = "watchlist-tracker-export"


def load_json(data: bytes) -> Any:
    """The file as JSON, or `BadFile` naming the line of the syntax error."""
    try:
        return json.loads(decode(data))
    except RecursionError:
        raise BadFile("file", "the JSON nests too deep.") from None
    except json.JSONDecodeError as exc:
        raise BadFile(f"line {exc.lineno}", f"not valid JSON ({exc.msg}).") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise BadFile("file", "a number in the file is too long.") from None


def _entry(entry: Any, row: str, list_name: str) -> ImportRow:
    if not isinstance(entry, dict):
        raise BadFile(row, "an entry must be an object.")
    values = {k: entry[k] for k in ("status", "rating", "progress", "notes") if k in entry}
    episode = entry.get("episodeProgress")
    if episode is not None:
        if not isinstance(episode, dict):
            raise BadFile(row, "episodeProgress must be {season, episode} or null.")
        values.update(season=episode.get("season"), episode=episode.get("episode"))
    elif "episodeProgress" in entry:
        values.update(season=None, episode=None)
    watches = entry.get("watches", [])
    if not isinstance(watches, list):
        raise BadFile(row, "watches must be a list of times.")
    return ImportRow(
        row=row,
        list_name=list_name,
        media_type=entry.get("mediaType", "movie"),
        media_id=entry.get("mediaId"),  # type: ignore[arg-type]  # checked by check()
        values=values,
        watches=[parse_time(w, row, "a watch") for w in watches],
    )


def parse(data: bytes) -> list[ImportRow]:
    """Rows of an export: `lists[i].entries[j]` is named `lists[i].entries[j]`."""
    document = load_json(data)
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise BadFile("file", f"not a {EXPORT_FORMAT} document (its `format`).")
    lists = document.get("lists")
    if not isinstance(lists, list):
        raise BadFile("file", "`lists` must be a list.")
    rows = []
    for i, of_list in enumerate(lists):
        where = f"lists[{i}]"
        if not isinstance(of_list, dict) or not isinstance(of_list.get("name"), str):
            raise BadFile(where, "a list must be an object with a `name`.")
        entries = of_list.get("entries", [])
        if not isinstance(entries, list):
            raise BadFile(where, "`entries` must be a list.")
        if not entries:
            rows.append(ImportRow(row=where, list_name=of_list["name"], list_only=True))
        for j, entry in enumerate(entries):
            rows.append(_entry(entry, f"{where}.entries[{j}]", of_list["name"]))
    return rows
