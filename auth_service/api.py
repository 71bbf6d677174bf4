"""HTTP routes of the auth service under `/auth`: parse, call a service function, answer."""

from __future__ import annotations

import uuid

from flask import current_app, request
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.idempotency import Idempotency
from servicekit.identity import BEARER, caller_id, login_required, require_identity

from . import services, sessions
from .config import auth_settings
from .models import Account, db, idempotency_keys
from .schemas import MeOut, PasswordChangeIn, RefreshIn, SigninIn, SignupIn, SignupOut, TokenOut
from .tokens import TOKEN_TTL_S

blp = ApiBlueprint("auth", __name__, url_prefix="/auth", description="Accounts and tokens")


def _token_fields(account: Account, refresh_token: str | None = None) -> dict:
    """A fresh access token and a refresh token (a new family unless one is given)."""
    if refresh_token is None:
        refresh_token = sessions.issue_refresh_token(account_id=account.id)
        db.session.commit()
    codec = auth_settings(current_app).tokens
    return {
        "userId": account.id,
        "accessToken": codec.issue(
            user_id=account.id, role=account.role, version=account.token_version
        ),
        "tokenType": "Bearer",
        "expiresIn": TOKEN_TTL_S,
        "refreshToken": refresh_token,
        "refreshExpiresIn": int(sessions.REFRESH_TTL.total_seconds()),
    }


def client_address() -> str:
    """The client as the gateway saw it: the right-most hop no trusted proxy added."""
    proxies = auth_settings(current_app).trusted_proxies
    return proxies.client_address(request.remote_addr, request.headers.get("X-Forwarded-For", ""))


idempotent = Idempotency(db, idempotency_keys)


@blp.route("/signup", methods=["POST"])
@idempotent
@blp.arguments(SignupIn)
@blp.response(201, SignupOut)
def signup(body: dict):
    """Create an account and its public profile; returns a first access token."""
    created = services.sign_up(
        email=body["email"], password=body["password"], display_name=body["displayName"]
    )
    return {
        **_token_fields(created.account),
        "email": created.account.email,
        "displayName": created.display_name,
    }


@blp.route("/signin", methods=["POST"])
@blp.arguments(SigninIn)
@blp.response(200, TokenOut)
def signin(body: dict):
    """Exchange email and password for an access token."""
    account = services.sign_in(
        email=body["email"], password=body["password"], client=client_address()
    )
    return _token_fields(account)


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(200, MeOut)
@blp.doc(security=BEARER)
def me():
    """The caller's account."""
    return services.get_account(user_id=caller_id())


@blp.route("/users/<uuid:user_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def delete_user(user_id: uuid.UUID):
    """Delete an account (its owner or an admin); every service then forgets the user."""
    services.delete_account(caller=require_identity(), user_id=user_id)


@blp.route("/refresh", methods=["POST"])
@blp.arguments(RefreshIn)
@blp.response(200, TokenOut)
def refresh(body: dict):
    """Spend a refresh token for a new access token and its successor refresh token.

    Each refresh token works once; presenting a spent one again ends that sign-in's
    every token (it was copied).
    """
    account, successor = sessions.rotate(token=body["refreshToken"])
    return _token_fields(account, successor)


@blp.route("/signout", methods=["POST"])
@login_required
@blp.response(204)
@blp.doc(security=BEARER)
def signout():
    """End every session of the caller's account: all its access and refresh tokens."""
    services.sign_out(caller=require_identity())


@blp.route("/password", methods=["POST"])
@login_required
@blp.arguments(PasswordChangeIn)
@blp.response(200, TokenOut)
@blp.doc(security=BEARER)
def change_password(body: dict):
    """Change the password; every existing token stops working, fresh ones come back."""
    account = services.change_password(
        caller=require_identity(),
        current=body["currentPassword"],
        new=body["newPassword"],
        client=client_address(),
    )
    return _token_fields(account)
