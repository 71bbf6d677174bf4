"""Set-based writes: many rows in one statement, each column sent as one array.

The statistics tables are written a batch at a time (the consumer's net change, or
reconciliation's rewrite of one media): each column's values go as an array parameter
named after the column, `unnest` turns the arrays back into rows, and every written row
gets `updated_at = clock_timestamp()` (reconciliation reads it to see what the consumer
touched).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BindParameter, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger, String, TypeEngine

Columns = Mapping[str, type[TypeEngine[Any]]]

PERSON_STATUS: Columns = {
    "person": String,
    "media_id": BigInteger,
    "media_type": String,
    "status": String,
    "n": BigInteger,
}
PERSON_RATING: Columns = {
    "person": String,
    "media_id": BigInteger,
    "media_type": String,
    "rated": BigInteger,
    "rating": BigInteger,
}

Title = tuple[int, str]
"""A title's key, (media_id, media_type), in the order the tables sort it."""

# `WHERE` a row's title is one of `:ids`/`:types` (two arrays, position by position).
IN_TITLES = "(media_id, media_type) IN (SELECT * FROM unnest(:ids, :types))"
TITLE_ARRAYS = (
    bindparam("ids", type_=ARRAY(BigInteger)),
    bindparam("types", type_=ARRAY(String)),
)


PersonKey = tuple[int, str, str]
"""One person on one title, (media_id, media_type, person): what a batch's events touch."""

# `WHERE` a row is one of these people on one of these titles (three arrays, by position):
# a batch reads and locks only the rows its events can change, however many people hold
# a popular title (reading all of them was 0.6 s a batch at a million entries).
IN_PEOPLE = "(media_id, media_type, person) IN (SELECT * FROM unnest(:ids, :types, :people))"
PEOPLE_ARRAYS = (*TITLE_ARRAYS, bindparam("people", type_=ARRAY(String)))


def people_params(keys: Iterable[PersonKey]) -> dict[str, list[Any]]:
    """`:ids`, `:types` and `:people` of `IN_PEOPLE` for these keys."""
    rows = list(keys)
    return {
        "ids": [k[0] for k in rows],
        "types": [k[1] for k in rows],
        "people": [k[2] for k in rows],
    }


def title_params(titles: Iterable[Title]) -> dict[str, list[Any]]:
    """`:ids` and `:types` of `IN_TITLES` for these titles."""
    pairs = list(titles)
    return {"ids": [t[0] for t in pairs], "types": [t[1] for t in pairs]}


def arrays(columns: Columns) -> list[BindParameter[Any]]:
    """One array parameter per column, named after it."""
    return [bindparam(name, type_=ARRAY(kind)) for name, kind in columns.items()]


def _rows(columns: Columns) -> str:
    names = ", ".join(columns)
    return f"unnest({', '.join(':' + name for name in columns)}) AS v({names})"


def bulk_insert(table: str, columns: Columns) -> TextClause:
    """`INSERT` one row per array position."""
    return text(
        f"INSERT INTO {table} ({', '.join(columns)}, updated_at) "
        f"SELECT v.*, clock_timestamp() FROM {_rows(columns)}"
    ).bindparams(*arrays(columns))


def bulk_update(table: str, columns: Columns, *, key: tuple[str, ...], sets: str) -> TextClause:
    """`UPDATE` the rows whose `key` columns match an array position; `sets` reads `p` and `v`.

    `p` is the stored row and `v` the sent one, e.g. `n = p.n + v.n` adds a delta.
    """
    match = f"({', '.join('p.' + k for k in key)}) = ({', '.join('v.' + k for k in key)})"
    return text(
        f"UPDATE {table} AS p SET {sets}, updated_at = clock_timestamp() "
        f"FROM {_rows(columns)} WHERE {match}"
    ).bindparams(*arrays(columns))
