"""Helpers the auth service tests import; fixtures stay in conftest.py."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from servicekit import keys
from tests.helpers import TOKEN_SIGNING_KEY

PASSWORD = "correct horse battery"


def unique_email(tag: str = "user") -> str:
    """An address no other test uses."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def random_ip() -> str:
    """A client address of its own, so one test's failures never throttle another's."""
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def make_token(key=None, algorithm: str = "EdDSA", **overrides) -> str:
    """A token shaped like ours (signed with the test signing key unless `key` is given),
    with any claim replaced (None removes it)."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(uuid.uuid4()),
        "role": "USER",
        "iss": "watchlist-tracker-auth",
        "aud": "watchlist-tracker",
        "iat": now,
        "exp": now + timedelta(minutes=15),
        "jti": uuid.uuid4().hex,
        "ver": 0,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    if key is None:
        key = keys.private_key(TOKEN_SIGNING_KEY)
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_token(token: str) -> dict:
    """The claims of a token the auth service issued, checked with its public key."""
    public = keys.private_key(TOKEN_SIGNING_KEY).public_key()
    return jwt.decode(token, public, algorithms=["EdDSA"], audience="watchlist-tracker")
