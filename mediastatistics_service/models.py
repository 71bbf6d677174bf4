"""The media statistics service's own tables."""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, CheckConstraint, Computed, DateTime, Index, String, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.contract import DEFAULT_MEDIA_TYPE, MEDIA_TYPES, STATUSES
from servicekit.events import dead_letters_table, processed_events_table


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)

# Column names in the order the API and the events name them (the contract's statuses).
STATUS_COLUMNS = STATUSES
RATINGS = range(1, 11)  # the contract's MIN_RATING to MAX_RATING
DISTRIBUTION_COLUMNS = tuple(f"rating_{r}" for r in RATINGS)
COUNTER_COLUMNS = (*STATUS_COLUMNS, "rating_count", "rating_sum", *DISTRIBUTION_COLUMNS)
_TYPES_SQL = ", ".join(f"'{t}'" for t in MEDIA_TYPES)


def _counter() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default=text("0"))


def _media_type() -> Mapped[str]:
    return mapped_column(
        String(5), primary_key=True, default=DEFAULT_MEDIA_TYPE, server_default=text("'movie'")
    )


def _media_type_check(table: str) -> CheckConstraint:
    return CheckConstraint(f"media_type IN ({_TYPES_SQL})", name=f"ck_{table}_media_type")


class MediaStats(db.Model):
    """The counters of one title: people per status, and people's latest ratings."""

    __tablename__ = "media_stats"

    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = _media_type()
    added: Mapped[int] = _counter()
    watching: Mapped[int] = _counter()
    watched: Mapped[int] = _counter()
    on_hold: Mapped[int] = _counter()
    dropped: Mapped[int] = _counter()
    rating_count: Mapped[int] = _counter()
    rating_sum: Mapped[int] = _counter()
    # people whose latest rating is 1, 2, ... 10 (they add up to rating_count)
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
    total: Mapped[int] = mapped_column(
        BigInteger, Computed("added + watching + watched + on_hold + dropped", persisted=True)
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # The consumer refuses events that would go negative; these are the backstop.
    # One (count DESC, media_id, media_type) index per ranking keeps `top` an index scan.
    __table_args__ = (
        *(CheckConstraint(f"{c} >= 0", name=f"ck_media_stats_{c}_nonneg") for c in COUNTER_COLUMNS),
        _media_type_check("media_stats"),
        *(
            Index(f"ix_media_stats_{c}_rank", text(f"{c} DESC"), "media_id", "media_type")
            for c in (*STATUS_COLUMNS, "total")
        ),
    )


class PersonStatus(db.Model):
    """How many of one person's list entries hold a media in a status (rows above zero only).

    The media's counter in that status counts the people with a row here: it moves only
    when a person's count goes from 0 to 1 or from 1 to 0.
    """

    __tablename__ = "person_status"

    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = _media_type()
    status: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("n >= 0", name="ck_person_status_n_nonneg"),
        _media_type_check("person_status"),
        Index("ix_person_status_media", "media_id", "media_type", "person"),
    )


class PersonRating(db.Model):
    """One person's rating of a media: how many of their entries carry one, and the latest."""

    __tablename__ = "person_rating"

    person: Mapped[str] = mapped_column(String(80), primary_key=True)
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = _media_type()
    rated: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("rated >= 0", name="ck_person_rating_rated_nonneg"),
        CheckConstraint("rating BETWEEN 1 AND 10", name="ck_person_rating_range"),
        _media_type_check("person_rating"),
        Index("ix_person_rating_media", "media_id", "media_type", "person"),
    )


class TrendingBucket(db.Model):
    """What happened to one title in one hour: people who added it, people who started it.

    Keyed by the hour of each event's `occurredAt`, so a late or replayed event lands in
    the hour it happened; the worker drops hours older than the longest trending period.
    """

    __tablename__ = "trending_buckets"

    # bucket first: the window query and the pruning are range scans of this key
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(5), primary_key=True)
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    adds: Mapped[int] = _counter()
    starts: Mapped[int] = _counter()

    __table_args__ = (
        CheckConstraint("adds >= 0", name="ck_trending_buckets_adds_nonneg"),
        CheckConstraint("starts >= 0", name="ck_trending_buckets_starts_nonneg"),
        _media_type_check("trending_buckets"),
    )


class TrendingWindow(db.Model):
    """Where each period's window starts: the first hour its totals hold."""

    __tablename__ = "trending_windows"

    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrendingTotal(db.Model):
    """One title's adds and starts over the hours of one period's window."""

    __tablename__ = "trending_totals"

    period: Mapped[str] = mapped_column(String(5), primary_key=True)
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_type: Mapped[str] = mapped_column(String(5), primary_key=True)
    adds: Mapped[int] = _counter()
    starts: Mapped[int] = _counter()
    score: Mapped[int] = mapped_column(BigInteger, Computed("adds + starts", persisted=True))

    # (period, score DESC, title) keeps a trending read an index scan, as `top` is
    __table_args__ = (
        CheckConstraint("adds >= 0", name="ck_trending_totals_adds_nonneg"),
        CheckConstraint("starts >= 0", name="ck_trending_totals_starts_nonneg"),
        Index("ix_trending_totals_rank", "period", text("score DESC"), "media_id", "media_type"),
    )


class ConsumerProgress(db.Model):
    """Where the consumer stands on each partition, for lag in /metrics and readiness."""

    __tablename__ = "consumer_progress"

    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    partition: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    committed_offset: Mapped[int | None] = mapped_column(BigInteger)
    high_watermark: Mapped[int | None] = mapped_column(BigInteger)
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
