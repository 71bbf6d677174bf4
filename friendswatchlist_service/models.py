"""The shared-watchlist service's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.contract import MEDIA_TYPES
from servicekit.events import dead_letters_table, outbox_table, processed_events_table
from servicekit.idempotency_store import idempotency_table
from servicekit.keyset import entry_page_indexes
from servicekit.titles import MAX_NOTES
from servicekit.watches import watches_table

PENDING, ACTIVE = "pending", "active"
INVITED = "invited"  # a membership's state before it is ACTIVE
MAX_PEOPLE = 10  # on one list, the owner included

_MEDIA_TYPE_CHECK = "media_type IN (" + ", ".join(f"'{t}'" for t in MEDIA_TYPES) + ")"
_EPISODE_CHECK = "(season IS NULL) = (episode IS NULL) AND (season IS NULL OR media_type = 'tv')"


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class SharedList(db.Model):
    """A list shared by its owner with up to nine others (`Membership` rows).

    `state` is `pending` until anyone accepted an invite, `active` ever after; `people`
    is the count of membership rows (invites included), kept by a trigger on that table
    under this row's lock, so the check holds however many write at once.
    """

    __tablename__ = "shared_lists"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[uuid.UUID]
    state: Mapped[str] = mapped_column(String(10))
    people: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # The ETag: every UPDATE of the row bumps it (entry writes and membership changes too).
    version: Mapped[int] = mapped_column(
        Integer, server_default=text("1"), onupdate=text("version + 1")
    )

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'active')", name="ck_shared_lists_state"),
        CheckConstraint(
            f"people BETWEEN 0 AND {MAX_PEOPLE - 1}", name="ck_shared_lists_people_count"
        ),
        CheckConstraint("length(btrim(name)) BETWEEN 1 AND 100", name="ck_shared_lists_name"),
        Index("ix_shared_lists_owner", "owner_id", "created_at", "id"),
    )


class Membership(db.Model):
    """Someone other than the owner on a list: invited, or active once they accepted."""

    __tablename__ = "shared_list_members"

    list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_lists.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10))
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("state IN ('invited', 'active')", name="ck_shared_list_members_state"),
        CheckConstraint(
            "(state = 'active') = (joined_at IS NOT NULL)", name="ck_shared_list_members_joined"
        ),
        # Someone's lists and invites; the invites page is newest first.
        Index("ix_shared_list_members_user", "user_id", "state", "invited_at", "list_id"),
    )


class Entry(db.Model):
    """One film or series in a shared list."""

    __tablename__ = "entries"

    list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_lists.id", ondelete="CASCADE"), primary_key=True
    )
    # Rows written without one (before typed titles) are movies, as the migration made them.
    media_type: Mapped[str] = mapped_column(
        String(8), primary_key=True, server_default=text("'movie'")
    )
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="added", server_default="added")
    progress: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str | None] = mapped_column(String(MAX_NOTES))
    # A series' episode progress, `{season, episode}` in the API; both or neither.
    season: Mapped[int | None] = mapped_column(SmallInteger)
    episode: Mapped[int | None] = mapped_column(SmallInteger)
    # Kept with each watch (servicekit.watches), so reading an entry never counts rows.
    times_watched: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_watched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # The ETag: the list's version when the entry last changed (never reused after a
    # removal and re-addition).
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __table_args__ = (
        CheckConstraint("media_id > 0", name="ck_entries_media_id"),
        CheckConstraint(_MEDIA_TYPE_CHECK, name="ck_entries_media_type"),
        CheckConstraint(_EPISODE_CHECK, name="ck_entries_episode"),
        CheckConstraint("times_watched >= 0", name="ck_entries_times_watched"),
        CheckConstraint(
            "status IN ('added', 'watching', 'watched', 'on_hold', 'dropped')",
            name="ck_entries_status",
        ),
        CheckConstraint("progress IS NULL OR progress >= 0", name="ck_entries_progress"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="ck_entries_rating"),
        # The statistics service pages through all entries by media id.
        Index("ix_entries_media_id", "media_id", "media_type"),
        *entry_page_indexes("entries"),
    )


outbox = outbox_table(Base.metadata)
watches = watches_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
