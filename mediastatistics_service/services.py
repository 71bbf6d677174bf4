"""Reading the counters; they are written only by the consumer and reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from servicekit.contract import MAX_MEDIA_ID
from servicekit.errors import NotFound, invalid

from .models import MediaStats, db

MAX_BATCH = 100


@dataclass(frozen=True)
class Stats:
    """The counters of one media as the API shows them (zeros for an untracked media)."""

    media_id: int
    added: int = 0
    watching: int = 0
    watched: int = 0
    on_hold: int = 0
    dropped: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    updated_at: datetime | None = None

    @property
    def total(self) -> int:
        """Entries holding the media in any status."""
        return self.added + self.watching + self.watched + self.on_hold + self.dropped

    @property
    def rating_average(self) -> float | None:
        """Mean rating, or None when no entry carries one."""
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @classmethod
    def of(cls, row: MediaStats) -> Stats:
        """From a stored row."""
        return cls(
            row.media_id,
            row.added,
            row.watching,
            row.watched,
            row.on_hold,
            row.dropped,
            row.rating_count,
            row.rating_sum,
            row.updated_at,
        )


def get_one(*, media_id: int) -> Stats:
    """One media's counters; zeros when untracked, NotFound for an id no media can have."""
    if not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound("No media with this id.")
    row = db.session.get(MediaStats, media_id)
    return Stats.of(row) if row else Stats(media_id)


def parse_ids(raw: list[str]) -> list[int]:
    """Media ids from a query string; 422 naming the first that is not a positive integer."""
    ids = []
    for value in raw:
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_MEDIA_ID:
            raise invalid("ids", f"Not a media id: {value[:40]}")
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def get_many(*, media_ids: list[int]) -> list[Stats]:
    """Counters of each media asked for, in the order asked, zeros for untracked ones."""
    if len(media_ids) > MAX_BATCH:
        raise invalid("ids", f"At most {MAX_BATCH} ids.")
    rows = db.session.scalars(select(MediaStats).where(MediaStats.media_id.in_(media_ids)))
    found = {row.media_id: Stats.of(row) for row in rows}
    return [found.get(media_id) or Stats(media_id) for media_id in media_ids]


def top(*, status: str | None, limit: int) -> list[Stats]:
    """The most tracked media, overall or in one status; media at zero are left out."""
    column = MediaStats.total if status is None else getattr(MediaStats, _column(status))
    rows = db.session.scalars(
        select(MediaStats)
        .where(column > 0)
        .order_by(column.desc(), MediaStats.media_id)
        .limit(limit)
    )
    return [Stats.of(row) for row in rows]


def _column(status: str) -> str:
    return "on_hold" if status == "onHold" else status
