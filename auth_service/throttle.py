"""Sign-in throttling, counted in the database before the password is checked.

Three counters per attempt, all moved by one SQL statement before any password check
(so 16 simultaneous guesses get at most as many checks as the limits allow):

- the account (`account:<email>`) only slows guessing down: the first `ACCOUNT_FREE`
  attempts are free, then each must wait a delay that doubles up to `MAX_DELAY_S` after
  the previous one. Strangers can make the owner wait seconds, never lock them out.
- the account from one client (`pair:<email>|<client>`) has the hard limit:
  `MAX_PER_PAIR` attempts per window, then 429 until the window ends.
- the client across accounts (`client:<client>`): `MAX_PER_CLIENT` per window.

Each counter is only moved when the one before it let the attempt through (account,
then pair, then client), so an attempt refused by the account's delay costs the client
nothing. A successful sign-in forgets the account's and the pair's attempts and gives
the client its attempt back.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, text, update

from servicekit.errors import TooManyRequests

from . import emails
from .models import SigninAttempt, db

WINDOW = timedelta(minutes=15)
ACCOUNT_FREE = 5
MAX_DELAY_S = 60
MAX_PER_PAIR = 5
MAX_PER_CLIENT = 20
_CLEANUP_CHANCE = 0.01
_attempts = SigninAttempt.__table__


def _windowed(name: str, *, after: str, limit: str) -> str:
    """A hard-limit counter's upsert, moved only when the `after` counter took the attempt.

    `limit` attempts per window; the window starts again once it is over.
    """
    return f"""{name} AS (
    INSERT INTO signin_attempts AS t (key, attempts, window_start, last_attempt)
    SELECT :{name}, 1, statement_timestamp(), statement_timestamp()
    FROM {after} WHERE {after}.last_attempt = statement_timestamp()
    ON CONFLICT (key) DO UPDATE SET
        attempts = CASE
            WHEN t.window_start <= statement_timestamp() - :window THEN 1
            WHEN t.attempts < {limit} THEN t.attempts + 1
            ELSE t.attempts END,
        window_start = CASE
            WHEN t.window_start <= statement_timestamp() - :window THEN statement_timestamp()
            ELSE t.window_start END,
        last_attempt = CASE
            WHEN t.window_start <= statement_timestamp() - :window OR t.attempts < {limit}
            THEN statement_timestamp()
            ELSE t.last_attempt END
    RETURNING t.attempts, t.window_start, t.last_attempt
)"""


_PAIR = _windowed("pair", after="account", limit=":max_pair")
_CLIENT = _windowed("client", after="pair", limit=":max_client")

# One statement, three upserts chained by their RETURNING rows. A row "took" the attempt
# when its last_attempt is this statement's timestamp. Row locks are taken in the order
# account, pair, client by every sign-in, so two never deadlock.
_RESERVE = text(
    f"""
WITH account AS (
    INSERT INTO signin_attempts AS t (key, attempts, window_start, last_attempt)
    VALUES (:account, 1, statement_timestamp(), statement_timestamp())
    ON CONFLICT (key) DO UPDATE SET
        attempts = CASE
            WHEN t.last_attempt <= statement_timestamp() - :window THEN 1
            WHEN t.attempts < :free OR t.last_attempt + make_interval(
                secs => LEAST(power(2, LEAST(t.attempts - :free, 16)), :max_delay)
            ) <= statement_timestamp() THEN t.attempts + 1
            ELSE t.attempts END,
        window_start = CASE
            WHEN t.last_attempt <= statement_timestamp() - :window THEN statement_timestamp()
            ELSE t.window_start END,
        last_attempt = CASE
            WHEN t.last_attempt <= statement_timestamp() - :window
              OR t.attempts < :free
              OR t.last_attempt + make_interval(
                  secs => LEAST(power(2, LEAST(t.attempts - :free, 16)), :max_delay)
              ) <= statement_timestamp()
            THEN statement_timestamp()
            ELSE t.last_attempt END
    RETURNING t.attempts, t.window_start, t.last_attempt
), {_PAIR}, {_CLIENT}
SELECT
    (SELECT last_attempt = statement_timestamp() FROM account) AS account_took,
    (SELECT extract(epoch FROM last_attempt + make_interval(
        secs => LEAST(power(2, LEAST(GREATEST(attempts - :free, 0), 16)), :max_delay)
     ) - statement_timestamp()) FROM account) AS account_wait,
    (SELECT last_attempt = statement_timestamp() FROM pair) AS pair_took,
    (SELECT extract(epoch FROM window_start + :window - statement_timestamp()) FROM pair)
        AS pair_wait,
    (SELECT last_attempt = statement_timestamp() FROM client) AS client_took,
    (SELECT extract(epoch FROM window_start + :window - statement_timestamp()) FROM client)
        AS client_wait
"""
).bindparams(
    bindparam("window", WINDOW),
    bindparam("free", ACCOUNT_FREE),
    bindparam("max_delay", float(MAX_DELAY_S)),
    bindparam("max_pair", MAX_PER_PAIR),
    bindparam("max_client", MAX_PER_CLIENT),
)


@dataclass(frozen=True)
class Attempt:
    """The counters one sign-in attempt moved."""

    account: str
    pair: str
    client: str


def attempt_keys(*, email: str, client: str) -> Attempt:
    """The counter keys of an email address (any spelling of it) tried from a client address."""
    email_key, client_key = emails.email_key(email), client[:64]
    return Attempt(
        account=f"account:{email_key}",
        pair=f"pair:{email_key}|{client_key}",
        client=f"client:{client_key}",
    )


def reserve(*, email: str, client: str) -> Attempt:
    """Count this attempt before its password is checked, and commit the count.

    TooManyRequests (with the seconds to wait) when a counter refuses it.
    """
    keys = attempt_keys(email=email, client=client)
    row = db.session.execute(
        _RESERVE, {"account": keys.account, "pair": keys.pair, "client": keys.client}
    ).one()
    if random.random() < _CLEANUP_CHANCE:
        # Old counters would otherwise pile up, one per address and email ever tried.
        db.session.execute(delete(_attempts).where(_attempts.c.last_attempt < func.now() - WINDOW))
    db.session.commit()
    for took, wait in (
        (row.account_took, row.account_wait),
        (row.pair_took, row.pair_wait),
        (row.client_took, row.client_wait),
    ):
        if not took:
            raise TooManyRequests(
                "Too many sign-in attempts; try again later.",
                retry_after=max(1, math.ceil(float(wait or 1))),
            )
    return keys


def succeeded(attempt: Attempt) -> None:
    """Forget the account's and the pair's attempts; give the client its attempt back."""
    db.session.execute(
        delete(_attempts).where(_attempts.c.key.in_([attempt.account, attempt.pair]))
    )
    db.session.execute(
        update(_attempts)
        .where(_attempts.c.key == attempt.client)
        .values(attempts=func.greatest(_attempts.c.attempts - 1, 0))
    )
