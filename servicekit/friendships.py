"""Asking the friends service whether two people are accepted friends.

Shared by the services that decide by friendship (inviting to a shared list, reading a
person's statistics, reading someone's personal lists); each caller must be accepted by
the friends service's `/internal/friendships/{a}/{b}`.
"""

from __future__ import annotations

import threading
import time
import uuid

from .errors import ServiceUnavailable
from .http import service_client


def are_friends(a: uuid.UUID, b: uuid.UUID) -> bool:
    """True when `a` and `b` are accepted friends; raises ServiceUnavailable (503).

    The kit's client gives the call its timeout, retries and breaker; what a caller does
    while the answer is unknown is its own decision.
    """
    response = service_client().get("friends", f"/internal/friendships/{a}/{b}")
    if response.status_code != 200:
        raise ServiceUnavailable(f"The friends service answered {response.status_code}.")
    try:
        friends = response.json()["friends"]
    except (ValueError, KeyError, TypeError):
        friends = None
    if not isinstance(friends, bool):
        raise ServiceUnavailable("The friends service gave an unreadable answer.")
    return friends


class FriendshipCache:
    """`are_friends` answers kept a few seconds per pair, in this process only.

    A reader paging through a friend's list asks once, not per page; a friendship that
    ends is honoured within `ttl` seconds. Only answers are kept: while the friends
    service is down every request asks again (and fails fast on the kit's breaker).
    """

    def __init__(self, ttl: float = 5.0, max_pairs: int = 10_000):
        self.ttl = ttl
        self.max_pairs = max_pairs
        self._answers: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def are_friends(self, a: uuid.UUID, b: uuid.UUID) -> bool:
        """Like `are_friends`, from the cache while its answer is fresh."""
        pair = tuple(sorted((str(a), str(b))))
        now = time.monotonic()
        with self._lock:
            kept = self._answers.get(pair)  # type: ignore[arg-type]
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        answer = are_friends(a, b)
        with self._lock:
            if len(self._answers) >= self.max_pairs:
                self._answers.clear()
            self._answers[pair] = (now, answer)  # type: ignore[index]
        return answer
