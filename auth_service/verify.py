"""`GET /verify`: the gateway's forward-auth check, called before every routed request.

Traefik sends the original method and URI in `X-Forwarded-Method`/`X-Forwarded-Uri`
and the client's `Authorization`. 200 lets the request through (with `X-User-Id`,
`X-User-Role` and the signed `X-User-Assertion` the services believe, when a valid
token names an existing account at its current token version); anything else is what
the client gets. Kept cheap on purpose: a token check, one primary-key lookup and one
Ed25519 signature.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import Engine, bindparam, create_engine, select
from sqlalchemy.exc import DBAPIError

from servicekit.app import settings_of
from servicekit.db import engine_options
from servicekit.errors import problem
from servicekit.identity import ASSERTION_HEADER, USER_ID_HEADER, USER_ROLE_HEADER

from . import gate
from .config import auth_settings
from .models import Account
from .tokens import InvalidToken, bearer_token

gateway = Blueprint("gateway", __name__)

API_PREFIXES = frozenset(
    {"auth", "users", "watchlists", "friends", "friendswatchlists", "mediastatistics", "activity"}
)
_READ = frozenset({"GET", "HEAD"})
_PUBLIC_POSTS = frozenset({"/auth/signup", "/auth/signin", "/auth/refresh"})
_ROLE_BY_ID = select(Account.role, Account.token_version).where(Account.id == bindparam("user_id"))


class Access(enum.Enum):
    """What a forwarded request needs."""

    HIDDEN = "hidden"  # never routed: internal endpoints and encoded paths
    PUBLIC = "public"
    PROTECTED = "protected"


def _is_uuid(segment: str) -> bool:
    try:
        uuid.UUID(segment)
    except ValueError:
        return False
    return len(segment) == 36


def _readable_by_visibility(segments: list[str]) -> bool:
    """A read the service may answer without a token: a person's figures, lists or
    activity, a list or its media page (what visibility shows to anyone)."""
    if len(segments) == 3 and segments[0] == "users":
        by_visibility = segments[2] in ("watchlists", "activity") and _is_uuid(segments[1])
        return segments[2] == "stats" or by_visibility
    if 2 <= len(segments) <= 3 and segments[0] == "watchlists" and _is_uuid(segments[1]):
        return len(segments) == 2 or segments[2] == "media"
    return False


def access_rule(method: str, uri: str) -> Access:
    """Classify the forwarded request by its method and its path (the query is ignored)."""
    path = uri.partition("?")[0]
    if "%" in path:
        return Access.HIDDEN
    segments = path.split("/")[1:]
    if any(segment.lower() == "internal" for segment in segments):
        return Access.HIDDEN
    if not path.startswith("/") or any(s in (".", "..") for s in segments):
        return Access.PROTECTED
    if method == "POST":
        return Access.PUBLIC if path in _PUBLIC_POSTS else Access.PROTECTED
    if method not in _READ or not segments:
        return Access.PROTECTED
    if segments[0] == "mediastatistics":
        return Access.PUBLIC
    if _readable_by_visibility(segments):
        return Access.PUBLIC  # the service decides by the list's visibility (404 if hidden)
    if len(segments) != 2 or not segments[1]:
        return Access.PROTECTED
    first, second = segments
    if first == "users" or (first in API_PREFIXES and second == "openapi.json"):
        return Access.PUBLIC
    return Access.PROTECTED


def install_lookup_engine(app: Flask) -> None:
    """Give `/verify` its own engine: autocommit and no pre-ping, so one round trip.

    The shared engine pings on every checkout and wraps a session in BEGIN/ROLLBACK:
    four round trips for one primary-key read on the path of every gateway request.
    Creating an engine opens no connection, so this is safe before a fork.
    """
    options = {**engine_options(settings_of(app)), "pool_pre_ping": False}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.extensions["auth_lookup_engine"] = create_engine(
        url, isolation_level="AUTOCOMMIT", **options
    )


def account_role(app: Flask, user_id: uuid.UUID) -> tuple[str, int] | None:
    """Role and token version of an existing account, or None; retried once on a lost
    connection."""
    engine: Engine = app.extensions["auth_lookup_engine"]
    try:
        with engine.connect() as conn:
            row = conn.execute(_ROLE_BY_ID, {"user_id": user_id}).first()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        with engine.connect() as conn:
            row = conn.execute(_ROLE_BY_ID, {"user_id": user_id}).first()
    return None if row is None else (row[0], row[1])


def caller_of(app: Flask, authorization: str) -> tuple[uuid.UUID, str] | None:
    """The id and current role of the token's account, or None."""
    token = bearer_token(authorization)
    if not token:
        return None
    try:
        claims = auth_settings(app).tokens.decode(token)
    except InvalidToken:
        return None
    # The account row, not the token, is the truth: a deleted account's tokens die at
    # once, and so do tokens older than a sign-out or a password change.
    account = account_role(app, claims.user_id)
    if account is None or account[1] != claims.version:
        return None
    return claims.user_id, account[0]


@gateway.get("/verify")
def verify() -> Response:
    """Forward auth: 200 passes the request on; 401 or 404 answers the client."""
    headers = request.headers
    forwarded_uri = headers.get("X-Forwarded-Uri", "")
    method = headers.get("X-Forwarded-Method", "").upper()
    access = access_rule(method, forwarded_uri)
    # the client asked for its own path, not for /verify: name that one in the problem
    instance = forwarded_uri.split("?", 1)[0][:200] or None
    if access is Access.HIDDEN:
        return problem(
            404, "Not Found", "The requested URL was not found on the server.", instance=instance
        )
    refused = gate.refusal(current_app, method, forwarded_uri.partition("?")[0])
    if refused is not None:
        return refused
    authorization = headers.get("Authorization", "")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    caller = caller_of(app, authorization)
    if caller is None and access is Access.PROTECTED:
        challenge = 'Bearer realm="watchlist-tracker"'
        if authorization:
            challenge += ', error="invalid_token"'
        return problem(
            401,
            "Unauthorized",
            "A valid access token is required.",
            headers={"WWW-Authenticate": challenge},
            instance=instance,
        )
    response = Response(status=200, mimetype="text/plain")
    if caller is not None:
        response.headers.extend(identity_headers(app, caller, method, forwarded_uri))
    return response


def identity_headers(
    app: Flask, caller: tuple[uuid.UUID, str], method: str, forwarded_uri: str
) -> list[tuple[str, str]]:
    """What a 200 tells the gateway to add: who the caller is, and the signed assertion."""
    user_id, role = caller
    assertion = auth_settings(app).assertions.sign(
        user_id=user_id, role=role, method=method, path=forwarded_uri.partition("?")[0]
    )
    return [
        (USER_ID_HEADER, str(user_id)),
        (USER_ROLE_HEADER, role),
        (ASSERTION_HEADER, assertion),
    ]


def passed_caller(app: Flask, wsgi_env: dict) -> list[tuple[str, str]] | None:
    """The common case without Flask: a routable request with a valid token (not on a
    rate-counted credential route) gets the identity headers. None for anything else,
    which `verify` itself must answer (a 401, a 404, a 429, a request without a
    token, a database error).

    `verify_wsgi` calls this first: Flask's request handling was two thirds of the CPU of
    a forward-auth call, and every gateway request makes one.
    """
    forwarded_uri = wsgi_env.get("HTTP_X_FORWARDED_URI", "")
    method = wsgi_env.get("HTTP_X_FORWARDED_METHOD", "").upper()
    if access_rule(method, forwarded_uri) is Access.HIDDEN:
        return None
    if (method, forwarded_uri.partition("?")[0]) in gate.CREDENTIAL_ROUTES:
        return None
    caller = caller_of(app, wsgi_env.get("HTTP_AUTHORIZATION", ""))
    return None if caller is None else identity_headers(app, caller, method, forwarded_uri)


def passed(flask_app: Flask, wsgi_env: dict, start_response: Any) -> list[bytes] | None:
    """The 200 of a `/verify` that passes a valid caller, answered without Flask
    (`verify.passed_caller`); None when the app must answer (anything else, any error)."""
    if wsgi_env.get("PATH_INFO") != "/verify" or wsgi_env.get("REQUEST_METHOD") != "GET":
        return None
    try:
        identity = passed_caller(flask_app, wsgi_env)
    except Exception:  # noqa: BLE001 - the app answers it, with its error handling
        return None
    if identity is None:
        return None
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"), *identity],
    )
    return [b""]
