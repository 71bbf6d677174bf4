"""The per-person statistics tables (`GET /users/{userId}/stats`), by audience.

An audience is who may read a part of a person's statistics: `owner` counts every
entry of theirs, `friends` the entries of their `friends` and `public` lists, `public`
those of their `public` lists only (docs/statistics.md). Keeping each audience's
reference counts, rather than one set per list visibility to be summed, keeps "people,
not entries" exact: a title in a private and a public list counts once for the owner.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .models import DISTRIBUTION_COLUMNS, STATUS_COLUMNS, _counter, _media_type, db

AUDIENCES = ("owner", "friends", "public")
MEDIA_TYPE_COLUMNS = ("movie", "tv")  # the contract's MEDIA_TYPES, as columns
# person_totals' counters, in this order everywhere
TOTAL_COLUMNS = (
    *STATUS_COLUMNS,
    *MEDIA_TYPE_COLUMNS,
    "watches",
    "rating_count",
    "rating_sum",
    *DISTRIBUTION_COLUMNS,
)


class AudienceStatus(db.Model):
    """How many of a person's entries of a title, visible to an audience, are in a status."""

    __tablename__ = "audience_status"

    # title first: a consumer batch locks these rows by title, as it does person_status
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = _media_type()
    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    audience: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class AudienceRating(db.Model):
    """A person's rated entries of a title visible to an audience, and the latest rating."""

    __tablename__ = "audience_rating"

    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = _media_type()
    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    audience: Mapped[str] = mapped_column(String(7), primary_key=True)
    rated: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int] = mapped_column(BigInteger)


class PersonTotals(db.Model):
    """One row per person and audience: what `GET /users/{userId}/stats` reads."""

    __tablename__ = "person_totals"

    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    audience: Mapped[str] = mapped_column(String(7), primary_key=True)
    added: Mapped[int] = _counter()
    watching: Mapped[int] = _counter()
    watched: Mapped[int] = _counter()
    on_hold: Mapped[int] = _counter()
    dropped: Mapped[int] = _counter()
    movie: Mapped[int] = _counter()
    tv: Mapped[int] = _counter()
    watches: Mapped[int] = _counter()
    rating_count: Mapped[int] = _counter()
    rating_sum: Mapped[int] = _counter()
    rating_1: Mapped[int] = _counter()
    rating_2: Mapped[int] = _counter()
    rating_3: Mapped[int] = _counter()
    rating_4: Mapped[int] = _counter()
    rating_5: Mapped[int] = _counter()
    rating_6: Mapped[int] = _counter()
    rating_7: Mapped[int] = _counter()
    rating_8: Mapped[int] = _counter()
    rating_9: Mapped[int] = _counter()
    rating_10: Mapped[int] = _counter()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonFinished(db.Model):
    """Titles a person finished (moved into `watched`) in one month of `occurredAt`."""

    __tablename__ = "person_finished"

    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    audience: Mapped[str] = mapped_column(String(7), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = _counter()
