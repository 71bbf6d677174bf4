"""The watchlist service's own tables: personal lists, their entries and the event tables."""

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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, query_expression

from servicekit.contract import MEDIA_TYPES, PRIVATE, STATUSES, VISIBILITIES
from servicekit.events import dead_letters_table, outbox_table, processed_events_table
from servicekit.idempotency_store import idempotency_table
from servicekit.keyset import entry_page_indexes
from servicekit.titles import MAX_NOTES
from servicekit.watches import watches_table

MAX_PROGRESS = 2**31 - 1

_MEDIA_TYPE_CHECK = "media_type IN (" + ", ".join(f"'{t}'" for t in MEDIA_TYPES) + ")"
_VISIBILITY_CHECK = "visibility IN (" + ", ".join(f"'{v}'" for v in VISIBILITIES) + ")"
_EPISODE_CHECK = "(season IS NULL) = (episode IS NULL) AND (season IS NULL OR media_type = 'tv')"


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class WatchList(db.Model):
    """A personal list of films and series; its owner writes it, `visibility` says who reads it."""

    __tablename__ = "lists"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(100))
    visibility: Mapped[str] = mapped_column(String(8), server_default=text(f"'{PRIVATE}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The ETag: bumped by every change of the list or of one of its entries.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Filled by the queries that show a list (`with_expression`), never stored.
    media_count: Mapped[int | None] = query_expression()

    __table_args__ = (
        CheckConstraint("length(btrim(name)) BETWEEN 1 AND 100", name="ck_lists_name"),
        CheckConstraint(_VISIBILITY_CHECK, name="ck_lists_visibility"),
        # Indexes owner_id and serves the owner's newest-first keyset pages.
        Index("ix_lists_owner_created_id", "owner_id", "created_at", "id"),
    )


class Entry(db.Model):
    """One film or series in a list; the primary key makes a duplicate a conflict."""

    __tablename__ = "entries"

    list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    # Rows written without one (before typed titles) are movies, as the migration made them.
    media_type: Mapped[str] = mapped_column(
        String(8), primary_key=True, server_default=text("'movie'")
    )
    media_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'added'"))
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
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The ETag: the list's version when the entry last changed, so a removed and re-added
    # entry never shows a tag it had before.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __table_args__ = (
        CheckConstraint("media_id > 0", name="ck_entries_media_id"),
        CheckConstraint(_MEDIA_TYPE_CHECK, name="ck_entries_media_type"),
        CheckConstraint(_EPISODE_CHECK, name="ck_entries_episode"),
        CheckConstraint("times_watched >= 0", name="ck_entries_times_watched"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="ck_entries_status"
        ),
        CheckConstraint("progress IS NULL OR progress >= 0", name="ck_entries_progress"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="ck_entries_rating"),
        # The statistics service's catch-up reads counts per media in media id order.
        Index("ix_entries_media_id", "media_id", "media_type"),
        *entry_page_indexes("entries"),
    )


outbox = outbox_table(Base.metadata)
watches = watches_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
