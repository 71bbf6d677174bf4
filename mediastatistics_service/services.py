"""Reading the counters; they are written only by the consumer and reconciliation.

A title is (mediaType, mediaId). The untyped reads (`/mediastatistics/{mediaId}`, bare
ids in a batch) are the movie of that id, kept for one release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, tuple_

from servicekit.contract import DEFAULT_MEDIA_TYPE, MAX_MEDIA_ID, MEDIA_TYPES
from servicekit.errors import NotFound, invalid

from . import trending
from .bulk import Title
from .models import DISTRIBUTION_COLUMNS, RATINGS, MediaStats, db

MAX_BATCH = 100


@dataclass(frozen=True)
class Stats:
    """The counters of one title as the API shows them (zeros for an untracked title)."""

    media_id: int
    media_type: str = DEFAULT_MEDIA_TYPE
    added: int = 0
    watching: int = 0
    watched: int = 0
    on_hold: int = 0
    dropped: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    distribution: tuple[int, ...] = field(default=(0,) * len(RATINGS))
    updated_at: datetime | None = None

    @property
    def total(self) -> int:
        """Entries holding the media in any status."""
        return self.added + self.watching + self.watched + self.on_hold + self.dropped

    @property
    def rating_average(self) -> float | None:
        """Mean rating, or None when no entry carries one."""
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def rating_distribution(self) -> dict[str, int]:
        """People per latest rating, `"1"` to `"10"`."""
        return {str(r): n for r, n in zip(RATINGS, self.distribution, strict=True)}

    @classmethod
    def of(cls, row: MediaStats) -> Stats:
        """From a stored row."""
        return cls(
            row.media_id,
            row.media_type,
            row.added,
            row.watching,
            row.watched,
            row.on_hold,
            row.dropped,
            row.rating_count,
            row.rating_sum,
            tuple(getattr(row, c) for c in DISTRIBUTION_COLUMNS),
            row.updated_at,
        )


def get_one(*, media_type: str, media_id: int) -> Stats:
    """One title's counters; zeros when untracked, NotFound for a title none can be."""
    if media_type not in MEDIA_TYPES or not 0 < media_id <= MAX_MEDIA_ID:
        raise NotFound("No title with this type and id.")
    row = db.session.get(MediaStats, (media_id, media_type))
    return Stats.of(row) if row else Stats(media_id, media_type)


def parse_ids(raw: list[str]) -> tuple[list[Title], bool]:
    """Titles from `?ids=` (`movie:603`, or a bare id for a movie) and whether any was bare.

    422 naming the first value that is neither.
    """
    titles, bare = [], False
    for value in raw:
        media_type, sep, number = value.rpartition(":")
        if not sep:
            media_type, bare = DEFAULT_MEDIA_TYPE, True
        if media_type not in MEDIA_TYPES or not (number.isascii() and number.isdigit()):
            raise invalid("ids", f"Not a title (movie:<id> or tv:<id>): {value[:40]}")
        if not 0 < int(number) <= MAX_MEDIA_ID:
            raise invalid("ids", f"Not a media id: {value[:40]}")
        titles.append((int(number), media_type))
    return list(dict.fromkeys(titles)), bare


def get_many(*, titles: list[Title]) -> list[Stats]:
    """Counters of each title asked for, in the order asked, zeros for untracked ones."""
    if len(titles) > MAX_BATCH:
        raise invalid("ids", f"At most {MAX_BATCH} ids.")
    key = tuple_(MediaStats.media_id, MediaStats.media_type)
    rows = db.session.scalars(select(MediaStats).where(key.in_(titles)))
    found = {(row.media_id, row.media_type): Stats.of(row) for row in rows}
    return [found.get(t) or Stats(*t) for t in titles]


def top(*, status: str | None, media_type: str | None, limit: int) -> list[Stats]:
    """The most tracked titles, overall or in one status and type; titles at zero left out."""
    column = MediaStats.total if status is None else getattr(MediaStats, _column(status))
    query = select(MediaStats).where(column > 0)
    if media_type is not None:
        query = query.where(MediaStats.media_type == media_type)
    rows = db.session.scalars(
        query.order_by(column.desc(), MediaStats.media_id, MediaStats.media_type).limit(limit)
    )
    return [Stats.of(row) for row in rows]


def trending_titles(*, period: str, media_type: str | None, limit: int) -> dict:
    """The titles most added or started in the period (`trending.PERIODS`), most first."""
    start, items = trending.window(db.session, period=period, media_type=media_type, limit=limit)
    return {"period": period, "since": start, "items": items}


def _column(status: str) -> str:
    return "on_hold" if status == "onHold" else status
