"""Access tokens: short-lived EdDSA JWTs signed with a key only this service holds.

Nobody else needs to check them: the gateway asks `/verify`, which hands the services
a signed assertion instead. A token carries its account's token version (`ver`);
signing out or changing the password bumps the version, so older tokens die at once.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "watchlist-tracker-auth"
AUDIENCE = "watchlist-tracker"
ALGORITHM = "EdDSA"
TOKEN_TTL_S = 15 * 60
MAX_TOKEN_LENGTH = 2048
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "ver"]


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True)
class Claims:
    """What a valid token says about its bearer."""

    user_id: uuid.UUID
    role: str
    version: int


class TokenCodec:
    """Issues and checks access tokens with one private key."""

    def __init__(self, key: Ed25519PrivateKey):
        self._key = key
        self._public = key.public_key()
        # The same token arrives with every request of a client. Its signature and
        # claims never change, so they are checked once and remembered by the exact
        # token text (an edited token is another text); expiry is checked every time.
        self._verified = functools.lru_cache(maxsize=8192)(self._verify)

    def issue(self, *, user_id: uuid.UUID, role: str, version: int) -> str:
        """A signed access token for the account, valid for `TOKEN_TTL_S` seconds."""
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "role": role,
            "ver": version,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + timedelta(seconds=TOKEN_TTL_S),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def decode(self, token: str) -> Claims:
        """The claims of a token this service issued; InvalidToken for anything else."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("missing or oversized token")
        claims, expires_at = self._verified(token)
        if expires_at <= time.time():
            raise InvalidToken("token expired")
        return claims

    def _verify(self, token: str) -> tuple[Claims, float]:
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS},
            )
            version = claims["ver"]
            if not isinstance(version, int) or isinstance(version, bool):
                raise InvalidToken("token version is not an integer")
            subject = uuid.UUID(claims["sub"])
            return Claims(subject, str(claims.get("role", "")), version), float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidToken(str(exc)) from None


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an empty string."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
