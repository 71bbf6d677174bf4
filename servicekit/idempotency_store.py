"""The table behind `Idempotency-Key` (see `idempotency`): each service adds its own copy.

One row per (caller scope, route, key): the request's fingerprint and, once stored, the
answer, sealed so the table never shows a request's secrets or its answer's tokens. Rows
live for `TTL`; older ones are ignored, replaced by a new use of their key, and pruned.
The HMAC secret derives from the service's credential key (`WLT_SERVICE_KEY`): after a
rotation a retry of an older request no longer matches its row (422), as if it differed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    delete,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

TTL = timedelta(hours=24)
PRUNE_BATCH = 100


def idempotency_table(metadata: MetaData) -> Table:
    """The keys a service has seen in the last 24 h, with the answers it gave."""
    table = Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(64), primary_key=True),
        Column("endpoint", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status", SmallInteger),  # null: the work committed, the answer is not stored
        Column("headers", JSONB),
        Column("body", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table


def expired(table: Table) -> Any:
    return table.c.created_at < func.now() - TTL


def upsert(table: Table, values: dict[str, Any]) -> Any:
    """Insert the key, taking the place of an expired row of the same key."""
    statement = pg_insert(table).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.endpoint, table.c.key],
        set_={**values, "created_at": func.now()},
        where=expired(table),
    )


def request_fingerprints(
    secret: bytes, key: str, request_line: str, body: bytes
) -> tuple[str, bytes]:
    """The stored fingerprint of a request, and the key that seals its answer.

    HMACs under the service's secret: a sign-up body holds a password, and a plain hash of
    it would let anyone who reads the table guess passwords at hash speed.
    """
    material = request_line.encode() + b"\n" + body
    fingerprint = hmac.new(secret, b"fingerprint\n" + material, hashlib.sha256).hexdigest()
    seal_key = hmac.new(secret, b"seal\n" + key.encode() + b"\n" + material, hashlib.sha256)
    return fingerprint, seal_key.digest()


def seal(seal_key: bytes, body: bytes) -> bytes:
    """An answer encrypted (AES-GCM) under a key only its own request can derive."""
    nonce = os.urandom(12)
    return nonce + AESGCM(seal_key).encrypt(nonce, body, None)


def unseal(seal_key: bytes, sealed: bytes) -> bytes:
    """The answer `seal` encrypted; InvalidTag under any other key."""
    return AESGCM(seal_key).decrypt(sealed[:12], sealed[12:], None)


def prune(conn: Connection | Session, table: Table, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` keys older than the TTL; how many went."""
    oldest = (
        select(table.c.scope, table.c.endpoint, table.c.key)
        .where(expired(table))
        .order_by(table.c.created_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    c = table.c
    result = conn.execute(delete(table).where(tuple_(c.scope, c.endpoint, c.key).in_(oldest)))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DELETE gives a CursorResult
