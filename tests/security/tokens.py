"""Bad access tokens of every kind, all claiming to be Alice with the ADMIN role."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt

from servicekit import keys

ISSUER = "watchlist-tracker-auth"
AUDIENCE = "watchlist-tracker"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(sub: str, **changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": sub,
        "role": "ADMIN",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "ver": 0,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(key: str, claims: dict, algorithm: str = "EdDSA") -> str:
    """Signed with the private key text `key` (EdDSA) or with `key` as an HMAC secret."""
    if algorithm == "EdDSA":
        return jwt.encode(claims, keys.private_key(key), algorithm=algorithm)
    return jwt.encode(claims, key, algorithm=algorithm)


def _edited(real_token: str, victim: str) -> str:
    """A real token of the attacker with its payload rewritten; the signature kept."""
    header, payload, signature = real_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{_b64({**claims, 'sub': victim, 'role': 'ADMIN'})}.{signature}"


# kind -> Authorization header value (None: no header at all)
def authorization_headers(
    *, key: str, victim: str, attacker_token: str, deleted_user: str
) -> dict[str, str | None]:
    now = int(time.time())
    public = keys.public_of(key)
    return {
        "no token": None,
        "empty bearer": "Bearer ",
        "basic scheme": "Basic " + base64.b64encode(b"alice:password").decode(),
        "garbage": "Bearer not.a.token",
        "alg none": "Bearer " + f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(victim))}.",
        "wrong key": "Bearer " + _signed(keys.generate(), _claims(victim)),
        "edited payload": "Bearer " + _edited(attacker_token, victim),
        "HS256 keyed with the public key": "Bearer " + _signed(public, _claims(victim), "HS256"),
        "expired": "Bearer " + _signed(key, _claims(victim, iat=now - 3600, exp=now - 1800)),
        "wrong issuer": "Bearer " + _signed(key, _claims(victim, iss="someone-else")),
        "wrong audience": "Bearer " + _signed(key, _claims(victim, aud="another-app")),
        "no expiry": "Bearer " + _signed(key, _claims(victim, exp=None)),
        "subject not a uuid": "Bearer " + _signed(key, _claims("alice")),
        "deleted account": "Bearer " + _signed(key, _claims(deleted_user, role="USER")),
        "stale token version": "Bearer " + _signed(key, _claims(victim, ver=-1)),
        "oversized": "Bearer " + _signed(key, _claims(victim, pad="x" * 4096)),
    }


TOKEN_KINDS = [
    "no token",
    "empty bearer",
    "basic scheme",
    "garbage",
    "alg none",
    "wrong key",
    "edited payload",
    "HS256 keyed with the public key",
    "expired",
    "wrong issuer",
    "wrong audience",
    "no expiry",
    "subject not a uuid",
    "deleted account",
    "stale token version",
    "oversized",
]
