"""Letterboxd CSV exports: watchlist.csv, diary.csv and ratings.csv, read with `csv`.

Columns `Date, Name, Year, Letterboxd URI` always; diary and ratings add `Rating`
(0.5 to 5 stars in half stars, imported as 1 to 10) and diary `Watched Date`. A file
with a `Rating` or `Watched Date` column goes to the list "Letterboxd diary" as
`watched` (a diary line is one watch), otherwise to "Letterboxd watchlist" as `added`.

Letterboxd exports carry no TMDB id: a row is imported only when the file has a
`tmdbID` column (as some export tools add); otherwise it is skipped with that reason.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from . import BadFile, ImportRow, decode, parse_time

WATCHLIST, DIARY = "Letterboxd watchlist", "Letterboxd diary"
_REQUIRED = ("Date", "Name", "Letterboxd URI")
_NO_ID = "no TMDB id: Letterboxd exports name films by title and Letterboxd URI only"


def _date(value: str, row: str, column: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadFile(row, f"{column} must be a date YYYY-MM-DD, not {value[:20]!r}.") from None


def _rating(value: str, row: str) -> int | None:
    if not value:
        return None
    try:
        stars = float(value)
    except ValueError:
        stars = -1
    if not 0.5 <= stars <= 5 or stars * 2 != int(stars * 2):
        raise BadFile(row, f"Rating must be 0.5 to 5 in half stars, not {value[:20]!r}.")
    return int(stars * 2)


def _tmdb(value: str | None, row: str) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise BadFile(row, "tmdbID must be a whole number.")
    return int(value)


def _line(record: dict[str, Any], row: str, diary: bool) -> ImportRow:
    if None in record or any(record.get(c) is None for c in _REQUIRED):
        raise BadFile(row, "the line does not have the header's columns.")
    _date(record["Date"], row, "Date")
    if record.get("Year") and not (record["Year"].isascii() and record["Year"].isdigit()):
        raise BadFile(row, "Year must be a whole number.")
    rating = _rating(record.get("Rating") or "", row)
    watched = record.get("Watched Date") or ""
    if watched:
        _date(watched, row, "Watched Date")
    tmdb = _tmdb(record.get("tmdbID"), row)
    list_name = DIARY if diary else WATCHLIST
    if tmdb is None:
        return ImportRow(row=row, list_name=list_name, skip=_NO_ID)
    values: dict[str, Any] = {"status": "watched" if diary else "added"}
    if rating is not None:
        values["rating"] = rating
    watches = [parse_time(watched + "T00:00:00+00:00", row, "Watched Date")] if watched else []
    return ImportRow(row, list_name, "movie", tmdb, values, watches)


def parse(data: bytes) -> list[ImportRow]:
    """Rows named by their line in the file (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(decode(data), newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise BadFile("line 1", f"not a Letterboxd export: no {', '.join(missing)} column.")
        diary = "Rating" in header or "Watched Date" in header
        return [_line(record, f"line {reader.line_num}", diary) for record in reader]
    except csv.Error as exc:
        raise BadFile(f"line {reader.line_num}", f"not valid CSV ({exc}).") from None
