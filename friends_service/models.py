"""The friends service's own tables: one row per pair (pending request or friendship), events."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CheckConstraint, DateTime, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.events import dead_letters_table, outbox_table, processed_events_table
from servicekit.idempotency_store import idempotency_table

PENDING = "pending"
ACCEPTED = "accepted"


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class Friendship(db.Model):
    """A friend request (`pending`) or, once accepted, the friendship it became.

    The pair is stored in canonical order (`user_low < user_high`) under a unique
    constraint, so A-B and B-A are the same row: two opposite requests can never both
    exist, whatever the interleaving. `id` is the request id the API hands out.
    """

    __tablename__ = "friendships"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_low: Mapped[uuid.UUID]
    user_high: Mapped[uuid.UUID]
    requester_id: Mapped[uuid.UUID]
    state: Mapped[str] = mapped_column(String(10), server_default=PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("user_low", "user_high", name="uq_friendships_pair"),
        CheckConstraint("user_low < user_high", name="ck_friendships_canonical_pair"),
        CheckConstraint(
            "requester_id IN (user_low, user_high)", name="ck_friendships_requester_in_pair"
        ),
        CheckConstraint(f"state IN ('{PENDING}', '{ACCEPTED}')", name="ck_friendships_state"),
        CheckConstraint(
            f"(state = '{ACCEPTED}') = (accepted_at IS NOT NULL)",
            name="ck_friendships_accepted_has_since",
        ),
        # Pending requests by the higher id (by the lower one the unique index serves).
        Index("ix_friendships_user_high", "user_high"),
        # A friends page is a merge of two ordered index scans, one per side of the pair.
        Index(
            "ix_friendships_low_since",
            "user_low",
            "accepted_at",
            "id",
            postgresql_where=text(f"state = '{ACCEPTED}'"),
        ),
        Index(
            "ix_friendships_high_since",
            "user_high",
            "accepted_at",
            "id",
            postgresql_where=text(f"state = '{ACCEPTED}'"),
        ),
    )


outbox = outbox_table(Base.metadata)  # `friendship-changed`, published by the worker's relay
processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
