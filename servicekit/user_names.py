"""Display names from the user service, the one way every service asks for them.

One batch call per hundred ids (the user service's limit per call) within a time
budget: a peer slow on one chunk would make a second chunk blow the contract's "about
a second", so the answer is degraded instead of late. Names that did arrive are kept;
the rest are missing and the answer says `degraded`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ServiceUnavailable
from .http import service_client

log = logging.getLogger(__name__)

BATCH = 100
BUDGET_S = 0.5


@dataclass
class Names:
    """Display names by user id; `degraded` when some could not be fetched."""

    by_id: dict[uuid.UUID, str] = field(default_factory=dict)
    degraded: bool = False

    def person(self, user_id: uuid.UUID | None) -> dict[str, Any] | None:
        """`{userId, displayName}` for a response, or None for nobody."""
        if user_id is None:
            return None
        return {"userId": user_id, "displayName": self.by_id.get(user_id)}


def _fetch(wanted: list[uuid.UUID], found: dict[uuid.UUID, str], budget_s: float | None) -> None:
    """Names of existing users into `found`; raises ServiceUnavailable."""
    started = time.monotonic()
    for start in range(0, len(wanted), BATCH):
        if budget_s is not None and time.monotonic() - started > budget_s:
            raise ServiceUnavailable("The user service is too slow for this answer.")
        chunk = wanted[start : start + BATCH]
        ids = ",".join(str(u) for u in chunk)
        response = service_client().get("user", "/internal/users", params={"ids": ids})
        if response.status_code != 200:
            raise ServiceUnavailable(f"The user service answered {response.status_code}.")
        try:
            for item in response.json()["items"]:
                found[uuid.UUID(item["userId"])] = item["displayName"]
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("The user service gave an unreadable answer.") from None


def display_names(user_ids: Iterable[uuid.UUID | None], *, strict: bool = False) -> Names:
    """Names of `user_ids` (None and repeats skipped); a user without a profile is missing.

    On failure the answer is degraded; with `strict` (the ids must be proven to exist)
    it raises ServiceUnavailable instead, and takes no time budget.
    """
    wanted = list(dict.fromkeys(u for u in user_ids if u is not None))
    found: dict[uuid.UUID, str] = {}
    if not wanted:
        return Names()
    if strict:
        _fetch(wanted, found, None)
        return Names(found)
    try:
        _fetch(wanted, found, BUDGET_S)
    except ServiceUnavailable as exc:
        log.warning("display names unavailable: %s", exc.detail)
        return Names(found, degraded=True)
    return Names(found)
