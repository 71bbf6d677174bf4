"""The caller's personal lists, entries, notes and watches as a stream: JSON or CSV.

The JSON document follows docs/export.schema.json and is what `POST /watchlists/import
?format=json` reads back. Rows are read with `yield_per` and written as they come, so
a large account never sits in memory as one string.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

from servicekit.titles import episode_progress

from .formats.own import EXPORT_FORMAT
from .models import Entry, WatchList, db, watches

SCHEMA_VERSION = 1
CSV_COLUMNS = (
    "list",
    "mediaType",
    "mediaId",
    "status",
    "rating",
    "progress",
    "notes",
    "timesWatched",
    "lastWatchedAt",
    "addedAt",
)
_BATCH = 500


def utc(value: datetime | None) -> str | None:
    """A time in UTC with microseconds and `Z` (an import finds the same watch again)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _lists(owner_id: uuid.UUID) -> list[Any]:
    return list(
        db.session.execute(
            select(WatchList.id, WatchList.name, WatchList.created_at)
            .where(WatchList.owner_id == owner_id)
            .order_by(WatchList.created_at, WatchList.id)
        )
    )


def _entries(list_id: uuid.UUID) -> Iterator[Any]:
    c = watches.c
    times = (
        select(array_agg(aggregate_order_by(c.watched_at, c.watched_at)))
        .where(
            c.list_id == Entry.list_id,
            c.media_type == Entry.media_type,
            c.media_id == Entry.media_id,
        )
        .correlate(Entry)
        .scalar_subquery()
    )
    statement = (
        select(Entry.__table__, times.label("watch_times"))
        .where(Entry.list_id == list_id)
        .order_by(Entry.added_at, Entry.media_type, Entry.media_id)
        .execution_options(yield_per=_BATCH)
    )
    yield from db.session.execute(statement)


def _entry_json(e: Any) -> dict[str, Any]:
    return {
        "mediaType": e.media_type,
        "mediaId": e.media_id,
        "status": e.status,
        "rating": e.rating,
        "progress": e.progress,
        "episodeProgress": episode_progress(e.season, e.episode),
        "notes": e.notes,
        "timesWatched": e.times_watched,
        "lastWatchedAt": utc(e.last_watched_at),
        "addedAt": utc(e.added_at),
        "watches": [utc(t) for t in e.watch_times or []],
    }


def export_json(owner_id: uuid.UUID) -> Iterator[str]:
    """The export document in pieces: a header, then one piece per list and per entry."""
    head = {
        "format": EXPORT_FORMAT,
        "schemaVersion": SCHEMA_VERSION,
        "exportedAt": utc(datetime.now(UTC)),
        "userId": str(owner_id),
    }
    yield json.dumps(head)[:-1] + ', "lists": ['
    for i, w in enumerate(_lists(owner_id)):
        meta = {"listId": str(w.id), "name": w.name, "createdAt": utc(w.created_at)}
        yield ("," if i else "") + json.dumps(meta)[:-1] + ', "entries": ['
        for j, entry in enumerate(_entries(w.id)):
            yield ("," if j else "") + json.dumps(_entry_json(entry))
        yield "]}"
    yield "]}\n"


def export_csv(owner_id: uuid.UUID) -> Iterator[str]:
    """One CSV row per entry under a header row (watch times are in the JSON export)."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(CSV_COLUMNS)
    for w in _lists(owner_id):
        for e in _entries(w.id):
            out.writerow(
                (
                    w.name,
                    e.media_type,
                    e.media_id,
                    e.status,
                    e.rating,
                    e.progress,
                    e.notes,
                    e.times_watched,
                    utc(e.last_watched_at),
                    utc(e.added_at),
                )
            )
            if buffer.tell() > 64 * 1024:
                yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
