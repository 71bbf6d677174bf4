"""`Idempotency-Key` on the POSTs that create something: a retried request replays the
first answer instead of creating a second thing.

A key is scoped by the caller (`user:<id>`, or `anonymous`) and the route, so nobody can
replay another caller's answer. Requests with one key are serialised by an advisory lock
(a concurrent one waits up to `LOCK_WAIT_MS`, then gets 409 with `Retry-After`). The key
row is written by a `before_commit` hook in the same transaction as the view's first
commit: it exists exactly when the work committed. The answer (2xx only) is stored just
after, before the lock is released. The table and its sealing are in `idempotency_store`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from flask import Response, current_app, g, has_app_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from . import idempotency_store as store
from .app import settings_of
from .errors import Conflict, DomainError, Unprocessable
from .identity import current_identity

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LOCK_WAIT_MS = 3000
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_WAITED_TOO_LONG = ("55P03", "57014")  # lock_not_available, query_canceled (statement timeout)

F = TypeVar("F", bound=Callable[..., Any])

PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Up to 255 visible ASCII characters, new for each intended creation. Sent again with "
        "the same body within 24 h, the first answer is replayed (`Idempotent-Replayed: "
        "true`) and nothing is created twice; with another body, 422."
    ),
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
}


class BadIdempotencyKey(DomainError):
    status, title = 400, "Bad request"


@dataclass
class _Pending:
    """The key of the request in progress, written at its first commit."""

    session: Session
    table: Table
    values: dict[str, Any]
    inserted: bool = False


def _answer_lost() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key was done, but its answer was not kept; "
        "look the resource up, or send a new key to create another."
    )


class Idempotency:
    """`@idempotent` for one service: its database and its `idempotency_keys` table."""

    def __init__(self, db: SQLAlchemy, table: Table):
        self.db = db
        self.table = table

    def __call__(self, view: F) -> F:
        """Decorate a create view (below `login_required`, above `arguments`)."""

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not _VALID_KEY.fullmatch(key):
                raise BadIdempotencyKey(f"{HEADER} must be 1 to 255 visible ASCII characters.")
            return self._once(key, lambda: view(*args, **kwargs))

        apidoc = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["parameters"] = [*manual.get("parameters", []), PARAMETER]
        apidoc["manual_doc"] = manual
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def _secret(self) -> bytes:
        service_key = settings_of(current_app).service_key
        return hashlib.sha256(b"wlt-idempotency\n" + service_key.encode()).digest()

    def _identify(self, key: str) -> dict[str, Any]:
        identity = current_identity()
        scope = f"user:{identity.user_id}" if identity else "anonymous"
        rule = request.url_rule.rule if request.url_rule else request.path
        return {"scope": scope, "endpoint": f"{request.method} {rule}", "key": key}

    def _once(self, key: str, run: Callable[[], Any]) -> Response:
        ident = self._identify(key)
        request_line = f"{request.method} {request.path}"
        body = request.get_data(cache=True)
        fingerprint, seal_key = store.request_fingerprints(self._secret(), key, request_line, body)
        with self.db.engine.connect() as conn:
            self._lock(conn, ident)
            row = conn.execute(
                select(self.table).where(self._match(ident), ~store.expired(self.table))
            ).first()
            if row is not None:
                conn.rollback()
                return _replay(row, fingerprint, seal_key)
            pending = _Pending(self.db.session(), self.table, {**ident, "fingerprint": fingerprint})
            response = self._run(conn, pending, run)
            self._store(conn, pending, response, seal_key)
            conn.commit()
            store.prune(conn, self.table)
            conn.commit()
        return response

    def _match(self, ident: dict[str, Any]) -> Any:
        c = self.table.c
        return and_(
            c.scope == ident["scope"], c.endpoint == ident["endpoint"], c.key == ident["key"]
        )

    @staticmethod
    def _lock(conn: Connection, ident: dict[str, Any]) -> None:
        """Hold this key's advisory lock until `conn`'s transaction ends; 409 after a wait."""
        name = "\n".join((ident["scope"], ident["endpoint"], ident["key"]))
        conn.execute(text(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}"))
        try:
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _WAITED_TOO_LONG:
                raise
            conn.rollback()
            raise Conflict(
                f"A request with this {HEADER} is in progress; retry shortly.", retry_after=1
            ) from None

    def _run(self, conn: Connection, pending: _Pending, run: Callable[[], Any]) -> Response:
        g.wlt_idempotency = pending
        try:
            return current_app.make_response(run())
        except BaseException:
            self._forget(conn, pending)
            raise
        finally:
            g.pop("wlt_idempotency", None)

    def _forget(self, conn: Connection, pending: _Pending) -> None:
        """A failed request may be retried with its key: drop a key its work wrote."""
        if pending.inserted:
            conn.execute(delete(self.table).where(self._match(pending.values)))
            conn.commit()

    def _store(
        self, conn: Connection, pending: _Pending, response: Response, seal_key: bytes
    ) -> None:
        if not 200 <= response.status_code < 300:
            self._forget(conn, pending)
            return
        answer = {
            "status": response.status_code,
            "headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
            "body": store.seal(seal_key, response.get_data()),
        }
        if pending.inserted:
            conn.execute(update(self.table).where(self._match(pending.values)).values(**answer))
        else:  # the view committed nothing (it found the work already done)
            conn.execute(store.upsert(self.table, {**pending.values, **answer}))


@event.listens_for(Session, "before_commit")
def _write_pending_key(session: Session) -> None:
    """Write the pending key in the transaction of the view's first commit."""
    if not has_app_context():
        return
    pending: _Pending | None = g.get("wlt_idempotency")
    if pending is None or pending.inserted or pending.session is not session:
        return
    session.execute(store.upsert(pending.table, pending.values))
    pending.inserted = True


def _replay(row: Any, fingerprint: str, seal_key: bytes) -> Response:
    """The stored answer again, or 422 when the key came with another request."""
    if not hmac.compare_digest(row.fingerprint, fingerprint):
        message = f"This {HEADER} was already used with another request."
        raise Unprocessable(message, errors={HEADER: [message]})
    if row.status is None:
        raise _answer_lost()
    try:
        body = store.unseal(seal_key, row.body)
    except InvalidTag:  # the service key changed since: the answer cannot be read
        raise _answer_lost() from None
    response = Response(body, status=row.status)
    for name, value in (row.headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response
