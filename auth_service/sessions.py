"""Refresh tokens and revocation: what lets a client stay signed in without the password,
and what ends every session of an account at once.

A refresh token is 256 random bits; only its SHA-256 is stored. Each use marks it used
(one atomic UPDATE, so of two concurrent uses one wins) and hands out a successor in the
same family. A used token presented again means it was copied: the whole family is
revoked and the account's token version bumped, so the copy and whatever access token
it got stop working at once. Signing out and changing the password bump the version
and revoke every family of the account.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta
from typing import NoReturn

from sqlalchemy import func, select, update

from servicekit.errors import Unauthorized

from .models import Account, RefreshToken, db

log = logging.getLogger(__name__)

REFRESH_TTL = timedelta(days=30)
_INVALID = "The refresh token is not valid."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh_token(*, account_id: uuid.UUID, family_id: uuid.UUID | None = None) -> str:
    """A new refresh token for the account (a new family unless given), in the transaction."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        RefreshToken(
            id=uuid.uuid4(),
            account_id=account_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=_digest(token),
            expires_at=func.now() + REFRESH_TTL,
        )
    )
    return token


def rotate(*, token: str) -> tuple[Account, str]:
    """Spend a refresh token: its account and the successor token; 401 for anything else."""
    digest = _digest(token)
    table = RefreshToken.__table__
    spent = db.session.execute(
        update(table)
        .where(
            table.c.token_hash == digest,
            table.c.used_at.is_(None),
            table.c.revoked_at.is_(None),
            table.c.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(table.c.account_id, table.c.family_id)
    ).first()
    if spent is None:
        _refuse(digest)
    account = db.session.get_one(Account, spent.account_id)
    successor = issue_refresh_token(account_id=spent.account_id, family_id=spent.family_id)
    db.session.commit()
    return account, successor


def _refuse(digest: str) -> NoReturn:
    """401; a reused token first revokes its family and the account's access tokens."""
    table = RefreshToken.__table__
    reused = db.session.execute(
        select(table.c.account_id, table.c.family_id).where(
            table.c.token_hash == digest, table.c.used_at.is_not(None)
        )
    ).first()
    if reused is not None:
        revoked = db.session.execute(
            update(table)
            .where(table.c.family_id == reused.family_id, table.c.revoked_at.is_(None))
            .values(revoked_at=func.now())
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        if revoked:
            # first sighting of this reuse: whoever holds the family's live token is cut off
            bump_token_version(account_id=reused.account_id)
            log.warning("refresh token reused: family %s revoked", reused.family_id)
        db.session.commit()
    else:
        db.session.rollback()
    raise Unauthorized(_INVALID)


def bump_token_version(*, account_id: uuid.UUID) -> int | None:
    """Make every access token of the account invalid; the new version (None: no account)."""
    return db.session.scalar(
        update(Account)
        .where(Account.id == account_id)
        .values(token_version=Account.token_version + 1)
        .returning(Account.token_version)
    )


def revoke_all(*, account_id: uuid.UUID) -> None:
    """End every session of the account: access tokens and refresh tokens, in the transaction."""
    bump_token_version(account_id=account_id)
    table = RefreshToken.__table__
    db.session.execute(
        update(table)
        .where(table.c.account_id == account_id, table.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
