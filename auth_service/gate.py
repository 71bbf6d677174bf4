"""Per-client limits on the routes that cost a password hash each.

`POST /auth/signup`, `/auth/signin` and `/auth/password` are counted in `/verify`, before
the gateway lets the request through, so a refused client never starts a hash. The count is one SQL
upsert (a fixed window per client address, in the table the sign-in throttle uses), so
every forward-auth process and replica shares it. The refusal is forward auth's own
answer, which the gateway hands to the client as it is: a 429 problem document with the
exact `Retry-After` and `RateLimit-Policy` / `RateLimit` headers. (A limiter in Traefik
would need its error page, which would also replace the sign-in throttle's own 429.)
"""

from __future__ import annotations

import math
import os
from datetime import timedelta

from flask import Flask, Response, request
from sqlalchemy import Engine, bindparam, text

from servicekit.config import ConfigError
from servicekit.errors import problem

from .config import auth_settings

CREDENTIAL_ROUTES = frozenset(
    {("POST", "/auth/signup"), ("POST", "/auth/signin"), ("POST", "/auth/password")}
)
WINDOW_S = 60
_COUNT = text(
    """
INSERT INTO signin_attempts AS t (key, attempts, window_start, last_attempt)
VALUES (:key, 1, statement_timestamp(), statement_timestamp())
ON CONFLICT (key) DO UPDATE SET
    attempts = CASE WHEN t.window_start <= statement_timestamp() - :window THEN 1
                    ELSE t.attempts + 1 END,
    window_start = CASE WHEN t.window_start <= statement_timestamp() - :window
                        THEN statement_timestamp() ELSE t.window_start END,
    last_attempt = statement_timestamp()
RETURNING attempts, extract(epoch FROM window_start + :window - statement_timestamp()) AS wait
"""
).bindparams(bindparam("window", timedelta(seconds=WINDOW_S)))


def per_minute() -> int:
    """Sign-ups plus sign-ins one client may start per minute (WLT_CREDENTIALS_PER_MINUTE)."""
    raw = os.environ.get("WLT_CREDENTIALS_PER_MINUTE", "10")
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"WLT_CREDENTIALS_PER_MINUTE must be a whole number, not {raw!r}"
        ) from None
    if value < 1:
        raise ConfigError("WLT_CREDENTIALS_PER_MINUTE must be at least 1")
    return value


def refusal(app: Flask, method: str, path: str) -> Response | None:
    """The 429 for a client past its limit on a credential route; None to let it pass."""
    if (method, path) not in CREDENTIAL_ROUTES:
        return None
    proxies = auth_settings(app).trusted_proxies
    client = proxies.client_address(request.remote_addr, request.headers.get("X-Forwarded-For", ""))
    engine: Engine = app.extensions["auth_lookup_engine"]
    with engine.connect() as conn:
        row = conn.execute(_COUNT, {"key": f"gate:{client[:64]}"}).one()
    limit = app.extensions["wlt_credentials_per_minute"]
    if row.attempts <= limit:
        return None
    wait = max(1, math.ceil(float(row.wait)))
    return problem(
        429,
        "Too Many Requests",
        f"At most {limit} sign-ups and sign-ins a minute from one client; try again later.",
        headers={
            "Retry-After": str(wait),
            "RateLimit-Policy": f"{limit};w={WINDOW_S}",
            "RateLimit": f"limit={limit}, remaining=0, reset={wait}",
        },
        instance=path,
    )


def install(app: Flask) -> None:
    """Read the limit at start, so a bad value stops the process instead of a request."""
    app.extensions["wlt_credentials_per_minute"] = per_minute()
