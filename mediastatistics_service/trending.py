"""Trending: the titles most added or started lately, from hourly counters.

The consumer counts, per hour of an event's `occurredAt` and per title, the people who
added it (a new entry in `added` that put the person in that status) and the people who
started it (the person's entries came into `watching`), in the same transaction as the
rest of the event, so each event counts once, in the hour it happened, however late or
often it is delivered. A window is a sum over at most 24 * 30 of those rows per title,
never a scan of the entries. The worker drops hours older than the longest period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger, DateTime, String

from servicekit.db import AnySession

from .bulk import Title

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
# The longest period and the hour it starts in; older hours are never read again.
KEEP = max(PERIODS.values()) + timedelta(hours=1)

Bucket = tuple[datetime, str, int]  # (hour, media_type, media_id)

_UPSERT = text(
    "INSERT INTO trending_buckets (bucket, media_type, media_id, adds, starts) "
    "SELECT * FROM unnest(:bucket, :media_type, :media_id, :adds, :starts) "
    "ON CONFLICT (bucket, media_type, media_id) DO UPDATE SET "
    "adds = trending_buckets.adds + excluded.adds, "
    "starts = trending_buckets.starts + excluded.starts"
).bindparams(
    bindparam("bucket", type_=ARRAY(DateTime(timezone=True))),
    bindparam("media_type", type_=ARRAY(String)),
    bindparam("media_id", type_=ARRAY(BigInteger)),
    bindparam("adds", type_=ARRAY(BigInteger)),
    bindparam("starts", type_=ARRAY(BigInteger)),
)
_WINDOW = (
    "SELECT media_id, media_type, sum(adds) AS adds, sum(starts) AS starts "
    "FROM trending_buckets WHERE bucket >= :since {filter}"
    "GROUP BY media_id, media_type "
    "ORDER BY sum(adds) + sum(starts) DESC, media_id, media_type LIMIT :limit"
)
_PRUNE = text("DELETE FROM trending_buckets WHERE bucket < :before")


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
    """A batch's adds and starts per (hour, title), written as one upsert."""

    def __init__(self, now: datetime):
        self._oldest = hour_of(now - KEEP)
        self.counts: dict[Bucket, list[int]] = {}

    def count(self, occurred_at: datetime, title: Title, *, adds: int, starts: int) -> None:
        """Count an event's add or start in its hour (hours past keeping are not kept)."""
        hour = hour_of(occurred_at)
        if (adds or starts) and hour >= self._oldest:
            row = self.counts.setdefault((hour, title[1], title[0]), [0, 0])
            row[0] += adds
            row[1] += starts

    def write(self, session: Session) -> None:
        """Add the batch's counts to the stored hours, in key order (no lock cycles)."""
        keys = sorted(self.counts)
        if keys:
            session.execute(
                _UPSERT,
                {
                    "bucket": [k[0] for k in keys],
                    "media_type": [k[1] for k in keys],
                    "media_id": [k[2] for k in keys],
                    "adds": [self.counts[k][0] for k in keys],
                    "starts": [self.counts[k][1] for k in keys],
                },
            )


def window(
    session: AnySession, *, period: str, media_type: str | None, limit: int, now: datetime
) -> list[Trend]:
    """The titles with the most adds and starts in the period, most first."""
    params: Mapping[str, object] = {"since": since(period, now), "limit": limit}
    clause = ""
    if media_type is not None:
        clause, params = "AND media_type = :media_type ", {**params, "media_type": media_type}
    rows = session.execute(text(_WINDOW.format(filter=clause)), params)
    return [Trend(r.media_id, r.media_type, int(r.adds), int(r.starts)) for r in rows]


def prune(engine: Engine, now: datetime) -> int:
    """Drop the hours no period reaches any more; returns how many rows went."""
    with engine.begin() as conn:
        return conn.execute(_PRUNE, {"before": hour_of(now - KEEP)}).rowcount
