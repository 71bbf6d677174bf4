"""Password hashing with argon2id, and a dummy check that keeps unknown emails as slow.

One hash at a time per process: argon2id takes a core for a good part of a second, and a
burst of sign-ups hashing on every thread at once left none to answer anything else (the
instance's readiness check timed out, Consul marked it critical and the gateway lost
its route). The other threads wait here instead, and keep answering cheap requests.
"""

from __future__ import annotations

import secrets
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
_one_at_a_time = threading.BoundedSemaphore(1)


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    with _one_at_a_time:
        return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def warm_up() -> None:
    """Compute the dummy hash now, so the first unknown email is not slower than the rest."""
    _dummy_hash()


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spend the same time and say no."""
    stored = password_hash or _dummy_hash()
    try:
        with _one_at_a_time:
            return _hasher.verify(stored, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
