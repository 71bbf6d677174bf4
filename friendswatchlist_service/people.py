"""Display names from the user service: one batch call per response, degrading when it is away."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from servicekit.errors import ServiceUnavailable
from servicekit.http import service_client

log = logging.getLogger(__name__)

BATCH = 100  # the user service's limit per call


@dataclass
class Names:
    """Display names by user id; `degraded` when some could not be fetched."""

    by_id: dict[uuid.UUID, str] = field(default_factory=dict)
    degraded: bool = False

    def person(self, user_id: uuid.UUID | None) -> dict | None:
        """`{userId, displayName}` for a response, or None for nobody."""
        if user_id is None:
            return None
        return {"userId": user_id, "displayName": self.by_id.get(user_id)}


def _fetch(user_ids: list[uuid.UUID], found: dict[uuid.UUID, str]) -> dict[uuid.UUID, str]:
    """Display names of existing users into `found`; raises ServiceUnavailable."""
    for start in range(0, len(user_ids), BATCH):
        chunk = ",".join(str(u) for u in user_ids[start : start + BATCH])
        response = service_client().get("user", f"/internal/users?ids={chunk}")
        if response.status_code != 200:
            raise ServiceUnavailable(f"The user service answered {response.status_code}.")
        try:
            for item in response.json()["items"]:
                found[uuid.UUID(item["userId"])] = item["displayName"]
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("The user service gave an unreadable answer.") from None
    return found


def lookup(user_ids: list[uuid.UUID | None]) -> Names:
    """Names for a response; on failure the names are missing and the answer is degraded."""
    wanted = list(dict.fromkeys(u for u in user_ids if u is not None))
    if not wanted:
        return Names()
    found: dict[uuid.UUID, str] = {}
    try:
        return Names(_fetch(wanted, found))
    except ServiceUnavailable as exc:
        # Keep the chunks that did arrive; the rest show as null.
        log.warning("display names unavailable: %s", exc.detail)
        return Names(found, degraded=True)


def lookup_strict(user_ids: list[uuid.UUID]) -> Names:
    """Names of users that must be checked to exist; raises ServiceUnavailable."""
    return Names(_fetch(list(dict.fromkeys(user_ids)), {}))
