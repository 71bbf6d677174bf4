"""Per-person statistics, kept by the consumer in the same transaction as the titles'.

For each audience (`person_models.AUDIENCES`) the side of an event counts when its list's
visibility lets that audience see it. Per (title, person, audience, status)
`audience_status.n` counts the person's visible entries, and the person's totals move
only when it goes 0 -> 1 or 1 -> 0, as a title's counters follow `person_status`
(tally.py): one title in two lists counts once. Types count titles held in any status;
the rating histogram counts each title once, by the person's latest rating of it.
Watches (`timesWatched` after minus before) and titles finished per month are history:
removing an entry keeps its watches, and a title counts as finished in the month of the
event that moved the person into `watched`. Stand-in people (`list:<id>`, events
without `userId`) have no per-person statistics.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger, Date, String

from .bulk import IN_PEOPLE, PEOPLE_ARRAYS, PersonKey, Title, arrays, people_params
from .models import STATUS_COLUMNS
from .person_models import AUDIENCES, TOTAL_COLUMNS

if TYPE_CHECKING:
    from .events import Change, Side

SEEN_BY = {
    "private": ("owner",),
    "unlisted": ("owner",),  # a link to a list is not an invitation to its owner's figures
    "friends": ("owner", "friends"),
    "public": AUDIENCES,
}
StatusKey = tuple[int, str, str, str, str]  # media_id, media_type, person, audience, status
RatingKey = tuple[int, str, str, str]  # media_id, media_type, person, audience

_LOCK_STATUS = text(
    "SELECT media_id, media_type, person, audience, status, n FROM audience_status "
    f"WHERE {IN_PEOPLE} ORDER BY media_id, media_type, person, audience, status FOR UPDATE"
).bindparams(*PEOPLE_ARRAYS)
_LOCK_RATING = text(
    "SELECT media_id, media_type, person, audience, rated, rating FROM audience_rating "
    f"WHERE {IN_PEOPLE} ORDER BY media_id, media_type, person, audience FOR UPDATE"
).bindparams(*PEOPLE_ARRAYS)
# Each write below is one statement for all its rows: every column goes as one array
# (`as_arrays`) and `unnest` turns them back into rows (row-by-row executemany was a
# tenth of catch-up time).
_KEY = {"m": BigInteger, "t": String, "p": String, "a": String}
_STATUS_ROW = {**_KEY, "s": String}
PUT_STATUS = text(
    "INSERT INTO audience_status (media_id, media_type, person, audience, status, n) "
    "SELECT * FROM unnest(:m, :t, :p, :a, :s, :n) ON CONFLICT (media_id, media_type, "
    "person, audience, status) DO UPDATE SET n = excluded.n"
).bindparams(*arrays({**_STATUS_ROW, "n": BigInteger}))
_DROP_STATUS = text(
    "DELETE FROM audience_status WHERE (media_id, media_type, person, audience, status) "
    "IN (SELECT * FROM unnest(:m, :t, :p, :a, :s))"
).bindparams(*arrays(_STATUS_ROW))
PUT_RATING = text(
    "INSERT INTO audience_rating (media_id, media_type, person, audience, rated, rating) "
    "SELECT * FROM unnest(:m, :t, :p, :a, :rated, :rating) ON CONFLICT (media_id, "
    "media_type, person, audience) DO UPDATE SET rated = excluded.rated, "
    "rating = excluded.rating"
).bindparams(*arrays({**_KEY, "rated": BigInteger, "rating": BigInteger}))
_DROP_RATING = text(
    "DELETE FROM audience_rating WHERE (media_id, media_type, person, audience) "
    "IN (SELECT * FROM unnest(:m, :t, :p, :a))"
).bindparams(*arrays(_KEY))
_ADD_TOTALS = text(
    f"INSERT INTO person_totals (person, audience, {', '.join(TOTAL_COLUMNS)}, updated_at) "
    f"SELECT v.*, clock_timestamp() FROM unnest(:person, :audience, "
    f"{', '.join(':' + c for c in TOTAL_COLUMNS)}) AS v "
    "ON CONFLICT (person, audience) DO UPDATE SET "
    + ", ".join(f"{c} = person_totals.{c} + excluded.{c}" for c in TOTAL_COLUMNS)
    + ", updated_at = excluded.updated_at"
).bindparams(
    *arrays({"person": String, "audience": String, **dict.fromkeys(TOTAL_COLUMNS, BigInteger)})
)
_ADD_FINISHED = text(
    "INSERT INTO person_finished (person, audience, month, n) "
    "SELECT * FROM unnest(:p, :a, :month, :n) "
    "ON CONFLICT (person, audience, month) DO UPDATE SET n = person_finished.n + excluded.n"
).bindparams(*arrays({"p": String, "a": String, "month": Date, "n": BigInteger}))
Totals = dict[tuple[str, str], Counter[str]]


def _seen(side: Side | None, audience: str) -> Side | None:
    if side is None or side.person.startswith("list:"):
        return None
    return side if audience in SEEN_BY[side.visibility] else None


def _moved_in(change: Change) -> bool:
    """A person's own change of status or a new entry; not a hand-over of a shared list."""
    b, a = change.before, change.after
    return a is not None and (b is None or (b.person == a.person and b.status != a.status))


def _month(moment: datetime) -> date:
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def rate(totals: Counter[str], rating: int, sign: int) -> None:
    totals["rating_count"] += sign
    totals["rating_sum"] += sign * rating
    totals[f"rating_{rating}"] += sign


class People:
    """The locked audience rows of a batch's people on its titles, replayed change by change."""

    def __init__(self, session: Session, keys: list[PersonKey]):
        ids = people_params(keys)
        self.counts: dict[StatusKey, int] = {
            tuple(r[:5]): r[5] for r in session.execute(_LOCK_STATUS, ids)
        }
        self.ratings: dict[RatingKey, tuple[int, int | None]] = {
            tuple(r[:4]): (r[4], r[5]) for r in session.execute(_LOCK_RATING, ids)
        }
        self.start = dict(self.counts), dict(self.ratings)
        self.totals: Totals = defaultdict(Counter)
        self.finished: Counter[tuple[str, str, date]] = Counter()

    def apply(self, change: Change) -> None:
        """Replay one change the title counters accepted, for every audience."""
        for audience in AUDIENCES:
            b, a = _seen(change.before, audience), _seen(change.after, audience)
            if b is not None:
                self._leave(change, b, audience)
            if a is not None:
                self._come(change, a, audience)
                self.totals[(a.person, audience)]["watches"] += a.times_watched
            if b is not None and change.after is not None:  # a removal keeps its watches
                self.totals[(b.person, audience)]["watches"] -= b.times_watched

    def _held(self, title: Title, person: str, audience: str) -> int:
        return sum(self.counts.get((*title, person, audience, s), 0) for s in STATUS_COLUMNS)

    def _leave(self, change: Change, side: Side, audience: str) -> None:
        key = (*change.title, side.person, audience, side.status)
        n = self.counts.get(key, 0)
        if n == 0:  # nothing of it was counted for this audience (cannot take away)
            return
        self.counts[key] = n - 1
        totals = self.totals[(side.person, audience)]
        totals[side.status] -= n == 1
        totals[change.media_type] -= self._held(change.title, side.person, audience) == 0
        if side.rating is not None:
            rk = (*change.title, side.person, audience)
            rated, rating = self.ratings.get(rk, (0, None))
            if rated > 0:
                self.ratings[rk] = (rated - 1, rating)
                if rated == 1 and rating is not None:
                    rate(totals, rating, -1)

    def _come(self, change: Change, side: Side, audience: str) -> None:
        key = (*change.title, side.person, audience, side.status)
        held = self._held(change.title, side.person, audience)
        n = self.counts[key] = self.counts.get(key, 0) + 1
        totals = self.totals[(side.person, audience)]
        totals[change.media_type] += held == 0
        if n == 1:
            totals[side.status] += 1
            if side.status == "watched" and _moved_in(change):
                self.finished[(side.person, audience, _month(change.occurred_at))] += 1
        if side.rating is not None:
            rk = (*change.title, side.person, audience)
            rated, rating = self.ratings.get(rk, (0, None))
            if rated > 0 and rating is not None:  # the latest rating replaces the earlier one
                rate(totals, rating, -1)
            rate(totals, side.rating, 1)
            self.ratings[rk] = (rated + 1, side.rating)

    def write(self, session: Session) -> None:
        """Write the rows that changed and add the totals' net change."""
        counts, ratings = self.start
        status_rows = [
            {"m": k[0], "t": k[1], "p": k[2], "a": k[3], "s": k[4], "n": self.counts[k]}
            for k in sorted(k for k, n in self.counts.items() if n != counts.get(k, 0))
        ]
        rating_rows = [
            {"m": k[0], "t": k[1], "p": k[2], "a": k[3], "rated": r[0], "rating": r[1]}
            for k, r in sorted(self.ratings.items())
            if r != ratings.get(k)
        ]
        _put_or_drop(session, status_rows, "n", PUT_STATUS, _DROP_STATUS)
        _put_or_drop(session, rating_rows, "rated", PUT_RATING, _DROP_RATING)
        add_totals(session, self.totals)
        rows = [
            {"p": p, "a": a, "month": month, "n": n}
            for (p, a, month), n in sorted(self.finished.items())
        ]
        if rows:
            session.execute(_ADD_FINISHED, as_arrays(rows))


def as_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The rows (dicts with the same keys) as one array per key, for the statements above."""
    return {name: [row[name] for row in rows] for name in rows[0]} if rows else {}


def _put_or_drop(session: Session, rows: list[dict], count: str, put, drop) -> None:
    """Write the rows whose `count` is above zero and delete the others, one statement each."""
    for statement, keep in ((put, True), (drop, False)):
        chosen = [r for r in rows if (r[count] > 0) == keep]
        if chosen:
            session.execute(statement, as_arrays(chosen))


def add_totals(conn: Session | Connection, totals: Totals) -> None:
    """Add each person's net change to their totals row (people in order: no deadlocks)."""
    rows: list[dict[str, Any]] = [
        {"person": p, "audience": a, **{c: delta.get(c, 0) for c in TOTAL_COLUMNS}}
        for (p, a), delta in sorted(totals.items())
        if any(delta.values())
    ]
    if rows:
        conn.execute(_ADD_TOTALS, as_arrays(rows))
