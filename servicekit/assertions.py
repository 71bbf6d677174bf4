"""Short-lived EdDSA tokens between our own processes: identity assertions and service
credentials.

- An identity assertion is what `/verify` hands the gateway next to `X-User-Id`: signed
  with a key only the auth service holds, audience `internal`, the user id and role,
  bound to the request's method and path, valid for seconds. Every service checks it
  with the auth service's public key, so a header typed by someone who reaches a
  service's port directly is worth nothing.
- A service credential names its caller (`kid`/`iss`), is signed with that caller's own
  key and addressed to one service (`aud`); the callee holds only public keys and each
  internal endpoint lists the callers it accepts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ASSERTION_ISSUER = "watchlist-tracker-auth"
ASSERTION_AUDIENCE = "internal"
ASSERTION_TTL_S = 10
CREDENTIAL_TTL_S = 60
# a fresh credential is made once the cached one has less than this left
_CREDENTIAL_RENEW_S = 30
_LEEWAY_S = 2
MAX_LENGTH = 2048
_ROLES = ("USER", "ADMIN")
_RECENT_MAX = 4096


class InvalidAssertion(Exception):
    """Missing, malformed, forged, expired, or made for another request or service."""


def request_binding(method: str, path: str) -> str:
    """A short digest of the request an assertion is for (the query is not included)."""
    digest = hashlib.sha256(f"{method.upper()} {path}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class AssertedIdentity:
    """Who the auth service says is calling."""

    user_id: uuid.UUID
    role: str


class AssertionSigner:
    """Signs identity assertions (the auth service only).

    The same user repeating the same request within `reuse_s` gets the same assertion
    back: it vouches for nothing more (it is bound to that request and would be valid
    for seconds anyway), and the signature, and each service's check of it, are
    skipped for clients that poll.
    """

    def __init__(
        self, key: Ed25519PrivateKey, *, ttl_s: int = ASSERTION_TTL_S, reuse_s: float = 2.0
    ):
        self._key = key
        self._ttl = ttl_s
        self._reuse_s = reuse_s
        self._lock = threading.Lock()
        self._recent: dict[tuple[uuid.UUID, str, str], tuple[str, float]] = {}

    def sign(self, *, user_id: uuid.UUID, role: str, method: str, path: str) -> str:
        """An assertion that this user, with this role, sent this request."""
        binding = request_binding(method, path)
        key = (user_id, role, binding)
        now = time.time()
        with self._lock:
            recent = self._recent.get(key)
            if recent and now - recent[1] < self._reuse_s:
                return recent[0]
        issued = int(now)
        claims = {
            "iss": ASSERTION_ISSUER,
            "aud": ASSERTION_AUDIENCE,
            "sub": str(user_id),
            "role": role,
            "req": binding,
            "iat": issued,
            "exp": issued + self._ttl,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        with self._lock:
            if len(self._recent) >= _RECENT_MAX:
                self._recent.clear()  # a burst of distinct requests: start over
            self._recent[key] = (token, now)
        return token


class AssertionVerifier:
    """Checks identity assertions with the auth service's public key."""

    def __init__(self, key: Ed25519PublicKey):
        self._key = key
        self._checked = functools.lru_cache(maxsize=4096)(self._check_signature)

    def _check_signature(self, token: str) -> tuple[AssertedIdentity, float, str | None]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=ASSERTION_AUDIENCE,
                issuer=ASSERTION_ISSUER,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "role"]},
            )
            role = claims["role"]
            if role not in _ROLES:
                raise InvalidAssertion("unknown role")
            binding = claims.get("req")
            identity = AssertedIdentity(uuid.UUID(str(claims["sub"])), role)
            return identity, float(claims["exp"]), None if binding is None else str(binding)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidAssertion(str(exc)) from None

    def verify(self, token: str, *, method: str, path: str) -> AssertedIdentity:
        """The identity an assertion vouches for; InvalidAssertion for anything else.

        `/verify` always binds its assertions to the request; an assertion without the
        binding can only come from a holder of the auth service's key (unit tests).
        """
        if not token or len(token) > MAX_LENGTH:
            raise InvalidAssertion("missing or oversized assertion")
        identity, expires_at, binding = self._checked(token)
        if expires_at + _LEEWAY_S <= time.time():
            raise InvalidAssertion("assertion expired")
        if binding is not None and binding != request_binding(method, path):
            raise InvalidAssertion("assertion made for another request")
        return identity


class CredentialSigner:
    """Makes this service's credentials for calls to other services, one per callee."""

    def __init__(self, caller: str, key: Ed25519PrivateKey, *, ttl_s: int = CREDENTIAL_TTL_S):
        self._caller = caller
        self._key = key
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, float]] = {}

    def for_service(self, callee: str) -> str:
        """A credential addressed to `callee`, reused while it has time left."""
        now = time.time()
        with self._lock:
            cached = self._cache.get(callee)
            if cached and cached[1] - now > _CREDENTIAL_RENEW_S:
                return cached[0]
        issued = int(now)
        claims = {
            "iss": self._caller,
            "aud": f"service:{callee}",
            "iat": issued,
            "exp": issued + self._ttl,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._caller})
        with self._lock:
            self._cache[callee] = (token, issued + self._ttl)
        return token


class CredentialVerifier:
    """Names the caller of an internal request from its credential and the callers' keys."""

    def __init__(self, service: str, keys: dict[str, Ed25519PublicKey]):
        self._audience = f"service:{service}"
        self._keys = keys
        self._checked = functools.lru_cache(maxsize=256)(self._check_signature)

    def _check_signature(self, token: str) -> tuple[str, float]:
        try:
            caller = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(caller) if isinstance(caller, str) else None
            if key is None or not isinstance(caller, str):
                raise InvalidAssertion("unknown caller")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=caller,
                leeway=_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
            return caller, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidAssertion(str(exc)) from None

    def caller(self, token: str) -> str:
        """The name of the service that made this credential for us; InvalidAssertion else."""
        if not token or len(token) > MAX_LENGTH:
            raise InvalidAssertion("missing or oversized credential")
        caller, expires_at = self._checked(token)
        if expires_at + _LEEWAY_S <= time.time():
            raise InvalidAssertion("credential expired")
        return caller
