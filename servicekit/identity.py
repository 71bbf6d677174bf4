"""Identity as the auth service vouched for it, and the guards that require it.

The gateway deletes a client's `X-User-*` headers and forwards the auth service's
answer: `X-User-Id`, `X-User-Role` and `X-User-Assertion`, a signed, seconds-long
assertion bound to the request (see `assertions`). Only the assertion is believed; an
`X-User-*` header without a valid one is 401, so reaching a service's port directly
gains nothing. Internal routes need a service credential of a caller they accept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, current_app, g, request

from . import keys
from .assertions import AssertionVerifier, CredentialVerifier, InvalidAssertion
from .config import Settings
from .errors import Forbidden, Unauthorized

USER_ID_HEADER = "X-User-Id"
USER_ROLE_HEADER = "X-User-Role"
ASSERTION_HEADER = "X-User-Assertion"
SERVICE_TOKEN_HEADER = "X-Service-Token"
ROLES = ("USER", "ADMIN")
# The OpenAPI security requirement of a route behind `login_required` (see app.py's scheme).
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Identity:
    """The caller, as the auth service vouched for it."""

    user_id: uuid.UUID
    role: str

    @property
    def is_admin(self) -> bool:
        """True for the ADMIN role."""
        return self.role == "ADMIN"


def install_identity(app: Flask, settings: Settings) -> None:
    """Give the app the verifiers of identity assertions and of service credentials."""
    callers: dict[str, Ed25519PublicKey] = {
        name: keys.public_key(key) for name, key in settings.service_public_keys.items()
    }
    app.extensions["wlt_assertions"] = AssertionVerifier(
        keys.public_key(settings.assertion_public_key)
    )
    app.extensions["wlt_credentials"] = CredentialVerifier(settings.service_name, callers)


def _claims_identity() -> bool:
    return any(name.lower().startswith("x-user-") for name in request.headers.keys())


def _identity_from_request() -> Identity | None:
    assertion = request.headers.get(ASSERTION_HEADER, "")
    if not assertion:
        if _claims_identity():
            raise Unauthorized("Identity headers count only with the gateway's assertion.")
        return None
    verifier: AssertionVerifier = current_app.extensions["wlt_assertions"]
    try:
        asserted = verifier.verify(assertion, method=request.method, path=request.path)
    except InvalidAssertion:
        raise Unauthorized("The identity assertion is not valid for this request.") from None
    # the plain headers are a convenience copy; one that disagrees is a forgery
    stated_id = request.headers.get(USER_ID_HEADER)
    stated_role = request.headers.get(USER_ROLE_HEADER)
    if (stated_id is not None and stated_id != str(asserted.user_id)) or (
        stated_role is not None and stated_role != asserted.role
    ):
        raise Unauthorized("The identity headers disagree with the assertion.")
    return Identity(asserted.user_id, asserted.role)


def current_identity() -> Identity | None:
    """The caller's identity, None when the request names nobody; 401 for a forged one."""
    if "identity" not in g:
        g.identity = _identity_from_request()
    identity: Identity | None = g.identity
    return identity


def require_identity() -> Identity:
    """The caller's identity; 401 when there is none."""
    identity = current_identity()
    if identity is None:
        raise Unauthorized("A valid access token is required.")
    return identity


def caller_id() -> uuid.UUID:
    """The signed-in caller's user id; 401 when there is none."""
    return require_identity().user_id


def login_required(view: F) -> F:
    """Guard a view: 401 unless the auth service vouched for the caller."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_identity()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def calling_service() -> str | None:
    """The service whose valid credential this request carries, or None."""
    verifier: CredentialVerifier = current_app.extensions["wlt_credentials"]
    try:
        return verifier.caller(request.headers.get(SERVICE_TOKEN_HEADER, ""))
    except InvalidAssertion:
        return None


def service_credential_required(*callers: str) -> Callable[[F], F]:
    """Guard an internal view: 403 unless one of `callers` (service names) is calling.

    `@service_credential_required("friends", "friendswatchlist")`: each endpoint names
    the services that need it; a valid credential of any other service is refused too.
    """
    if not callers or not all(isinstance(c, str) for c in callers):
        raise TypeError("service_credential_required needs the names of the accepted callers")
    accepted = frozenset(callers)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if calling_service() not in accepted:
                raise Forbidden("This endpoint is for other services only.")
            return view(*args, **kwargs)

        wrapper.accepted_callers = accepted  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
