"""Asking the friends service whether two people are friends (before an invite).

An invite is refused while the answer is unknown (ServiceUnavailable, 503) rather than
sent to a possible stranger; the call itself is the kit's (servicekit/friendships.py).
"""

from __future__ import annotations

from servicekit.friendships import are_friends

__all__ = ["are_friends"]
