"""The activity service's own tables, all kept from events (nothing here is asked of a peer).

- `friend_pairs`: who is friends with whom, from `friendship-changed` (one row per pair,
  canonical order, kept when a friendship ends so an older event cannot bring it back);
- `lists`: each list's owner and current visibility, from the sides of entry events;
- `activities`: what people did (added, started, finished, rated, made a list public);
- `feed`: fan-out on write, one row per (reader, activity) for every friend of the actor
  at the time, so a reader's page is one index range however many friends they have.
  Who may see an activity is decided when it is read, by its list's visibility now.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.contract import MEDIA_TYPES, STATUSES, VISIBILITIES
from servicekit.events import dead_letters_table, processed_events_table

# What an activity says happened (the API's `type`).
ADDED, STARTED, FINISHED, RATED, LIST_PUBLIC = "added", "started", "finished", "rated", "listPublic"
KINDS = (ADDED, STARTED, FINISHED, RATED, LIST_PUBLIC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class FriendPair(db.Model):
    """Two people and whether they are friends now, as of the latest event about them."""

    __tablename__ = "friend_pairs"

    user_low: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_high: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    friends: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("user_low < user_high", name="ck_friend_pairs_canonical"),
        # friends of X: the primary key serves X as user_low, this one X as user_high
        Index("ix_friend_pairs_high", "user_high", postgresql_where=text("friends")),
    )


class ListState(db.Model):
    """A list's owner and visibility as its newest event left them (shared lists: private)."""

    __tablename__ = "lists"

    list_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID]
    visibility: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_one_of("visibility", VISIBILITIES), name="ck_lists_visibility"),
        Index("ix_lists_owner", "owner_id"),
    )


class Activity(db.Model):
    """One thing a person did on a list; `media_*`, `status` and `rating` are null for a
    list made public."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    actor_id: Mapped[uuid.UUID]
    list_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(12))
    media_type: Mapped[str | None] = mapped_column(String(5))
    media_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str | None] = mapped_column(String(10))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="ck_activities_kind"),
        CheckConstraint(
            f"media_type IS NULL OR {_one_of('media_type', MEDIA_TYPES)}",
            name="ck_activities_media_type",
        ),
        CheckConstraint(
            f"status IS NULL OR {_one_of('status', STATUSES)}", name="ck_activities_status"
        ),
        CheckConstraint(
            f"(kind = '{LIST_PUBLIC}') = (media_id IS NULL)", name="ck_activities_title"
        ),
        # one person's activity, newest first (`GET /users/{id}/activity`, backfill)
        Index("ix_activities_actor", "actor_id", "occurred_at", "id"),
        # a title leaving a list takes its activity along
        Index("ix_activities_title", "list_id", "media_id", "media_type"),
    )


class FeedRow(db.Model):
    """An activity in one reader's feed (the actor was their friend when it happened, or
    became one since and it was among the actor's latest)."""

    __tablename__ = "feed"

    reader_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_feed_activity", "activity_id"),)


processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
