"""The user service as this service sees it: does a user exist, and display names."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from servicekit.errors import NotFound, ServiceUnavailable
from servicekit.http import service_client

# The user service's internal batch lookup takes at most this many ids per call.
BATCH = 100
# A peer this slow on one chunk would make a second chunk blow the contract's "about a
# second": the page answers degraded instead of late.
NAMES_BUDGET_S = 0.5


def require_user(user_id: uuid.UUID) -> None:
    """NotFound unless the user exists; ServiceUnavailable when that cannot be known."""
    response = service_client().get("user", f"/users/{user_id}")
    if response.status_code == 404:
        raise NotFound("No user with this id.")
    if response.status_code != 200:
        raise ServiceUnavailable(f"The user service answered {response.status_code}.")


def display_names(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str] | None:
    """Display names by id in ceil(n/100) batch calls (one for a page); None when unavailable.

    A user without a profile (deleted meanwhile) is simply missing from the result.
    """
    wanted = list(dict.fromkeys(user_ids))
    names: dict[uuid.UUID, str] = {}
    started = time.monotonic()
    for start in range(0, len(wanted), BATCH):
        if time.monotonic() - started > NAMES_BUDGET_S:
            return None
        chunk = wanted[start : start + BATCH]
        try:
            response = service_client().get(
                "user", "/internal/users", params={"ids": ",".join(map(str, chunk))}
            )
        except ServiceUnavailable:
            return None
        if response.status_code != 200:
            return None
        try:
            for item in response.json()["items"]:
                names[uuid.UUID(item["userId"])] = item["displayName"]
        except (ValueError, KeyError, TypeError):
            return None
    return names
