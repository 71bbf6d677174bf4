"""The user service as this service sees it: does a user exist."""

from __future__ import annotations

import uuid

from servicekit.errors import NotFound, ServiceUnavailable
from servicekit.http import service_client


def require_user(user_id: uuid.UUID) -> None:
    """NotFound unless the user exists; ServiceUnavailable when that cannot be known."""
    response = service_client().get("user", f"/users/{user_id}")
    if response.status_code == 404:
        raise NotFound("No user with this id.")
    if response.status_code != 200:
        raise ServiceUnavailable(f"The user service answered {response.status_code}.")
