"""Trending: the titles most added or started lately, from hourly counters.

The consumer counts, per hour of an event's `occurredAt` and per title, the people who
added it (a new entry in `added` that put the person in that status) and the people who
started it (the person's entries came into `watching`), in the same transaction as the
rest of the event, so each event counts once, in the hour it happened, however late or
often it is delivered. Alongside the hours (`trending_buckets`) it keeps, per period,
each title's totals over the hours since that period's window starts
(`trending_windows.since`), so a read is an index scan like `top`, never a sum at read.

Once an hour the worker moves each window on (`roll`): under the statistics lock held
exclusively (every consumer batch holds it shared) it subtracts the hours leaving the
window from the totals and records the new start, so a batch sees either the old window
or the new one and the totals always equal the sum of the window's hours. Hours before
every window are dropped (`prune`), and never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger, DateTime, String

from servicekit.db import AnySession

from .bulk import Title

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}

Bucket = tuple[datetime, str, int]  # (hour, media_type, media_id)

_ARRAYS = (
    bindparam("bucket", type_=ARRAY(DateTime(timezone=True))),
    bindparam("media_type", type_=ARRAY(String)),
    bindparam("media_id", type_=ARRAY(BigInteger)),
    bindparam("adds", type_=ARRAY(BigInteger)),
    bindparam("starts", type_=ARRAY(BigInteger)),
)

_UPSERT = text(
    "INSERT INTO trending_buckets (bucket, media_type, media_id, adds, starts) "
    "SELECT * FROM unnest(:bucket, :media_type, :media_id, :adds, :starts) "
    "AS v(b, t, m, a, s) WHERE v.b >= (SELECT min(since) FROM trending_windows) "
    "ON CONFLICT (bucket, media_type, media_id) DO UPDATE SET "
    "adds = trending_buckets.adds + excluded.adds, "
    "starts = trending_buckets.starts + excluded.starts"
).bindparams(*_ARRAYS)
_ADD_TOTALS = text(
    "INSERT INTO trending_totals (period, media_id, media_type, adds, starts) "
    "SELECT w.period, v.m, v.t, sum(v.a), sum(v.s) "
    "FROM unnest(:bucket, :media_type, :media_id, :adds, :starts) AS v(b, t, m, a, s) "
    "JOIN trending_windows AS w ON v.b >= w.since GROUP BY w.period, v.m, v.t "
    "ORDER BY w.period, v.m, v.t "
    "ON CONFLICT (period, media_id, media_type) DO UPDATE SET "
    "adds = trending_totals.adds + excluded.adds, "
    "starts = trending_totals.starts + excluded.starts"
).bindparams(*_ARRAYS)
_WINDOW = (
    "SELECT media_id, media_type, adds, starts FROM trending_totals "
    "WHERE period = :period AND score > 0 {filter}"
    "ORDER BY score DESC, media_id, media_type LIMIT :limit"
)
_SINCE = text("SELECT since FROM trending_windows WHERE period = :period")
_LOCK_WINDOWS = text("SELECT period, since FROM trending_windows ORDER BY period FOR UPDATE")
_LEAVING = text(
    "UPDATE trending_totals AS p SET adds = p.adds - d.adds, starts = p.starts - d.starts "
    "FROM (SELECT media_id, media_type, sum(adds) AS adds, sum(starts) AS starts "
    "FROM trending_buckets WHERE bucket >= :old AND bucket < :new "
    "GROUP BY media_id, media_type) AS d "
    "WHERE p.period = :period AND (p.media_id, p.media_type) = (d.media_id, d.media_type)"
)
_DROP_ZEROS = text("DELETE FROM trending_totals WHERE period = :period AND adds = 0 AND starts = 0")
_MOVE = text("UPDATE trending_windows SET since = :new WHERE period = :period")
_PRUNE = text(
    "DELETE FROM trending_buckets WHERE bucket < (SELECT min(since) FROM trending_windows)"
)


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def since(period: str, now: datetime) -> datetime:
    """The first hour a period's window counts: the hour `period` before `now` began."""
    return hour_of(now - PERIODS[period])


@dataclass(frozen=True)
class Trend:
    """One title's adds and starts in a window."""

    media_id: int
    media_type: str
    adds: int
    starts: int

    @property
    def score(self) -> int:
        """What trending ranks by: adds and starts together."""
        return self.adds + self.starts


class Tally:
    """A batch's adds and starts per (hour, title), added to the hours and the totals."""

    def __init__(self) -> None:
        self.counts: dict[Bucket, list[int]] = {}

    def count(self, occurred_at: datetime, title: Title, *, adds: int, starts: int) -> None:
        """Count an event's add or start in its hour."""
        if adds or starts:
            row = self.counts.setdefault((hour_of(occurred_at), title[1], title[0]), [0, 0])
            row[0] += adds
            row[1] += starts

    def write(self, session: Session) -> None:
        """Add the batch's counts to the hours and to each window they fall in.

        The caller holds the statistics lock shared, so no window moves meanwhile; hours
        before every window are not written (they would only be pruned).
        """
        keys = sorted(self.counts)
        if not keys:
            return
        arrays = {
            "bucket": [k[0] for k in keys],
            "media_type": [k[1] for k in keys],
            "media_id": [k[2] for k in keys],
            "adds": [self.counts[k][0] for k in keys],
            "starts": [self.counts[k][1] for k in keys],
        }
        session.execute(_UPSERT, arrays)
        session.execute(_ADD_TOTALS, arrays)


def window(
    session: AnySession, *, period: str, media_type: str | None, limit: int
) -> tuple[datetime, list[Trend]]:
    """Where the period's window starts, and its titles with the most adds and starts."""
    params: Mapping[str, object] = {"period": period, "limit": limit}
    clause = ""
    if media_type is not None:
        clause, params = "AND media_type = :media_type ", {**params, "media_type": media_type}
    start = session.execute(_SINCE, {"period": period}).scalar_one()
    rows = session.execute(text(_WINDOW.format(filter=clause)), params)
    return start, [Trend(r.media_id, r.media_type, int(r.adds), int(r.starts)) for r in rows]


def roll(engine: Engine, now: datetime, lock_id: int) -> int:
    """Move every window to start at `since(period, now)`; returns how many moved.

    Takes the statistics lock (`lock_id`) exclusively, so no consumer batch is half
    applied to a window that moves.
    """
    moved = 0
    with engine.begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(lock_id)))
        for period, old in conn.execute(_LOCK_WINDOWS).all():
            new = since(period, now)
            if new <= old:
                continue
            params = {"period": period, "old": old, "new": new}
            conn.execute(_LEAVING, params)
            conn.execute(_DROP_ZEROS, params)
            conn.execute(_MOVE, params)
            moved += 1
    return moved


def prune(engine: Engine) -> int:
    """Drop the hours before every window; returns how many rows went."""
    with engine.begin() as conn:
        return conn.execute(_PRUNE).rowcount
