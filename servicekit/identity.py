"""Identity as the gateway states it, and the guards that require it.

Only the gateway sets `X-User-Id`/`X-User-Role` (it deletes a client's copies and
takes them from the auth service's answer); internal routes need the service
credential instead.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from .errors import Forbidden, Unauthorized

USER_ID_HEADER = "X-User-Id"
USER_ROLE_HEADER = "X-User-Role"
SERVICE_TOKEN_HEADER = "X-Service-Token"
ROLES = ("USER", "ADMIN")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Identity:
    """The caller, as the gateway vouched for it."""

    user_id: uuid.UUID
    role: str

    @property
    def is_admin(self) -> bool:
        """True for the ADMIN role."""
        return self.role == "ADMIN"


def current_identity() -> Identity | None:
    """The caller's identity, or None when the gateway sent none (or a malformed one)."""
    if "identity" in g:
        return g.identity
    identity = None
    raw_id = request.headers.get(USER_ID_HEADER, "")
    role = request.headers.get(USER_ROLE_HEADER, "USER")
    try:
        user_id = uuid.UUID(raw_id)
    except ValueError:
        user_id = None
    if user_id is not None and role in ROLES:
        identity = Identity(user_id, role)
    g.identity = identity
    return identity


def require_identity() -> Identity:
    """The caller's identity; 401 when there is none."""
    identity = current_identity()
    if identity is None:
        raise Unauthorized("A valid access token is required.")
    return identity


def login_required(view: F) -> F:
    """Guard a view: 401 unless the gateway stated who is calling."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_identity()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def service_credential_required(view: F) -> F:
    """Guard an internal view: 403 unless the caller holds the shared service credential."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expected = current_app.config["WLT_SETTINGS"].service_token
        given = request.headers.get(SERVICE_TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Forbidden("This endpoint is for other services only.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
