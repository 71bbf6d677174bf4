"""The user service's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.events import dead_letters_table, processed_events_table


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class Profile(db.Model):
    """A public profile; its id is minted by the auth service at sign-up."""

    __tablename__ = "profiles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(50))
    # lower(display_name) in the "C" collation: one btree serves both the prefix
    # match (LIKE 'abc%') and the keyset order of the search.
    search_name: Mapped[str] = mapped_column(String(50, collation="C"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (Index("ix_profiles_search_name_id", "search_name", "id"),)


class DeletedUser(db.Model):
    """A user id that was deleted (or whose sign-up was abandoned): never created again.

    A profile PUT for a sign-up that timed out can arrive after the undo; the tombstone
    makes the order of the two irrelevant.
    """

    __tablename__ = "deleted_users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


processed_events = processed_events_table(Base.metadata)
dead_letters = dead_letters_table(Base.metadata)
