"""Access tokens: short-lived HS256 JWTs issued here and checked by `/verify`."""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ISSUER = "watchlist-tracker-auth"
AUDIENCE = "watchlist-tracker"
ALGORITHM = "HS256"
TOKEN_TTL_S = 15 * 60
MAX_TOKEN_LENGTH = 2048
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True)
class Claims:
    """What a valid token says about its bearer."""

    user_id: uuid.UUID
    role: str


def issue_token(*, secret: str, user_id: uuid.UUID, role: str) -> str:
    """A signed access token for the account, valid for `TOKEN_TTL_S` seconds."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(seconds=TOKEN_TTL_S),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(*, secret: str, token: str) -> Claims:
    """The claims of a token this service issued; InvalidToken for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("missing or oversized token")
    claims, expires_at = _verified(secret, token)
    if expires_at <= time.time():
        raise InvalidToken("token expired")
    return claims


# The same token arrives with every request of a client. Its signature and claims never
# change, so they are checked once and remembered by the exact token text (a forged or
# edited token is a different text and is checked in full); expiry is checked every time.
@functools.lru_cache(maxsize=8192)
def _verified(secret: str, token: str) -> tuple[Claims, float]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": _REQUIRED_CLAIMS},
        )
        return Claims(uuid.UUID(claims["sub"]), str(claims.get("role", ""))), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from None


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an empty string."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
