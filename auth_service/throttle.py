"""Sign-in throttling shared by every worker process: counters live in the database.

Each failure is one atomic upsert, so gunicorn workers (and replicas) on the same
database see one count; a window starts at its first failure and lasts 15 minutes.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from servicekit.errors import TooManyRequests

from .models import SigninFailure, db

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_CLIENT = 20
_CLEANUP_CHANCE = 0.01
_failures = SigninFailure.__table__


def email_key(email: str) -> str:
    """The counter key of an email address (any case)."""
    return "email:" + email.lower()


def client_key(address: str) -> str:
    """The counter key of a client address."""
    return "client:" + address[:64]


def check(*, email: str, client: str) -> None:
    """TooManyRequests (with seconds to wait) when either counter is over its limit."""
    limits = {email_key(email): MAX_PER_EMAIL, client_key(client): MAX_PER_CLIENT}
    seconds_left = func.extract("epoch", _failures.c.window_start + WINDOW - func.now())
    rows = db.session.execute(
        select(_failures.c.key, _failures.c.failures, seconds_left.label("left")).where(
            _failures.c.key.in_(list(limits)), _failures.c.window_start > func.now() - WINDOW
        )
    ).all()
    waits = [float(row.left) for row in rows if row.failures >= limits[row.key]]
    if waits:
        raise TooManyRequests(
            "Too many failed sign-ins; try again later.",
            retry_after=max(1, math.ceil(max(waits))),
        )


def record_failure(*, email: str, client: str) -> None:
    """Count one failure against the email and the client, in the caller's transaction."""
    expired = _failures.c.window_start <= func.now() - WINDOW
    # Sorted keys: two concurrent failures lock the rows in the same order, never deadlock.
    for key in sorted({email_key(email), client_key(client)}):
        stmt = pg_insert(_failures).values(key=key, failures=1, window_start=func.now())
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[_failures.c.key],
                set_={
                    "failures": case((expired, 1), else_=_failures.c.failures + 1),
                    "window_start": case((expired, func.now()), else_=_failures.c.window_start),
                },
            )
        )
    if random.random() < _CLEANUP_CHANCE:
        # Expired counters would otherwise pile up, one per address ever seen.
        db.session.execute(delete(_failures).where(expired))


def clear_email(*, email: str) -> None:
    """Forget an email's failures after a successful sign-in."""
    db.session.execute(delete(_failures).where(_failures.c.key == email_key(email)))
