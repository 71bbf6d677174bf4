"""Asking the friends service whether two people are accepted friends.

Shared by the services that decide by friendship (inviting to a shared list, reading a
person's statistics); each caller must be accepted by the friends service's
`/internal/friendships/{a}/{b}`.
"""

from __future__ import annotations

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
