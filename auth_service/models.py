"""The auth service's own tables: accounts, refresh tokens, sign-in throttling, the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.events import outbox_table
from servicekit.idempotency_store import idempotency_table

ROLE_USER = "USER"
ROLE_ADMIN = "ADMIN"


class Base(DeclarativeBase):
    """Declarative base of this service only."""


db = SQLAlchemy(model_class=Base)


class Account(db.Model):
    """A sign-in identity; its id is also the user's id in every other service."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # The lowercased email: uniqueness is case-insensitive, the address keeps its spelling.
    email_key: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), server_default=ROLE_USER)
    # in every access token (`ver`); bumped to revoke all of the account's tokens at once
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("email_key", name="uq_accounts_email_key"),
        CheckConstraint(f"role IN ('{ROLE_USER}', '{ROLE_ADMIN}')", name="ck_accounts_role"),
    )


class RefreshToken(db.Model):
    """One refresh token (only its SHA-256 is kept); each use replaces it in its family.

    A family is one sign-in's chain of rotations. Using a token twice revokes its family.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigninAttempt(db.Model):
    """Sign-in attempts counted per key (`account:`, `pair:` or `client:`), see throttle."""

    __tablename__ = "signin_attempts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


outbox = outbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
