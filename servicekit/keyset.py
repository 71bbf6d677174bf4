"""Keyset pages of a list's media (`?mediaType=&status=&sort=&order=&limit=&cursor=`).

A page is read by an index range (`ix_entries_list_*`, one per sort key, with and
without the status), so the first page of a 10,000-entry list costs what a 10-entry
one does. The cursor is opaque: urlsafe base64 JSON of the last row's sort value, media
id and type, bound to the sort, order, status and media type it was made for; a cursor
given with other parameters, or one the API never handed out, is 422 like every other cursor.
Unrated entries sort as a rating of 0: first ascending, last descending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import fields, validate
from sqlalchemy import Index, Select, func, text, tuple_

from .contract import MEDIA_TYPES, STATUSES
from .errors import Unprocessable
from .schemas import PageArgs, decode_cursor, encode_cursor

SORTS = {"addedAt": "added_at", "updatedAt": "updated_at", "rating": "rating"}
ORDERS = ("asc", "desc")


class MediaPageArgs(PageArgs):
    """`GET .../{listId}/media?mediaType=&status=&sort=addedAt|updatedAt|rating&order=asc|desc`."""

    media_type = fields.String(
        data_key="mediaType", load_default=None, validate=validate.OneOf(MEDIA_TYPES)
    )
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    sort = fields.String(load_default="addedAt", validate=validate.OneOf(tuple(SORTS)))
    order = fields.String(load_default="asc", validate=validate.OneOf(ORDERS))


@dataclass(frozen=True)
class MediaQuery:
    """What one page asks for; the first page of a list's GET is `MediaQuery()`."""

    status: str | None = None
    sort: str = "addedAt"
    order: str = "asc"
    limit: int = 50
    cursor: str | None = None
    media_type: str | None = None

    @property
    def binding(self) -> list[Any]:
        """The parameters a cursor of this query is only valid with."""
        return [self.sort, self.order, self.status, self.media_type]


def _bad_cursor(message: str) -> Unprocessable:
    return Unprocessable(message, errors={"cursor": [message]})


def sort_key(entry: Any, sort: str) -> Any:
    """The SQL sort expression of `sort` on the `entry` model (NULL ratings as 0)."""
    column = getattr(entry, SORTS[sort])
    return func.coalesce(column, 0) if sort == "rating" else column


def _after(query: MediaQuery) -> tuple[Any, int, str] | None:
    """The (sort value, media id, media type) a cursor resumes after; 422 if not for this query."""
    if not query.cursor:
        return None
    binding, key = decode_cursor(query.cursor, 2)
    if binding != query.binding:
        raise _bad_cursor(
            "This cursor was made for other sort, order, status or mediaType parameters."
        )
    if (
        not isinstance(key, list)
        or len(key) != 3
        or not isinstance(key[1], int)
        or key[2] not in MEDIA_TYPES
    ):
        raise _bad_cursor("Not a valid cursor.")
    value = key[0]
    try:
        if query.sort != "rating":
            value = datetime.fromisoformat(str(value))
        elif not isinstance(value, int):
            raise ValueError(value)
    except ValueError:
        raise _bad_cursor("Not a valid cursor.") from None
    return value, key[1], key[2]


def page_statement(select_: Select[Any], entry: Any, query: MediaQuery) -> Select[Any]:
    """`select_` (of one list's entries) filtered, ordered and cut to `limit + 1` rows.

    The extra row tells whether a next page exists; `select_` must end with the sort
    value, media id and type (`sort_key(entry, sort)`, `entry.media_id`, `entry.media_type`)
    for `next_cursor`.
    """
    key = sort_key(entry, query.sort)
    if query.status is not None:
        select_ = select_.where(entry.status == query.status)
    if query.media_type is not None:
        select_ = select_.where(entry.media_type == query.media_type)
    after = _after(query)
    descending = query.order == "desc"
    if after is not None:
        position = tuple_(key, entry.media_id, entry.media_type)
        select_ = select_.where(position < after if descending else position > after)
    columns = (key, entry.media_id, entry.media_type)
    order = tuple(c.desc() for c in columns) if descending else columns
    return select_.order_by(*order).limit(query.limit + 1)


def next_cursor(rows: Sequence[Any], query: MediaQuery) -> tuple[Sequence[Any], str | None]:
    """Cut the extra row off; the cursor after the last kept row, or None on the last page.

    Each row's last three items are its sort value, media id and type (see `page_statement`).
    """
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    value, media_id, media_type = rows[-1][-3], rows[-1][-2], rows[-1][-1]
    if isinstance(value, datetime):
        value = value.isoformat()
    return rows, encode_cursor([query.binding, [value, media_id, media_type]])


def entry_page_indexes(table: str) -> list[Index]:
    """The indexes `page_statement` reads by: per sort key, with and without the status."""
    keys: dict[str, Any] = {
        "added": "added_at",
        "updated": "updated_at",
        "rating": text("coalesce(rating, 0)"),
    }
    indexes = []
    for name, key in keys.items():
        indexes.append(Index(f"ix_{table}_list_{name}", "list_id", key, "media_id", "media_type"))
        indexes.append(
            Index(
                f"ix_{table}_list_status_{name}", "list_id", "status", key, "media_id", "media_type"
            )
        )
    return indexes
