"""HTTP routes of the auth service under `/auth`: parse, call a service function, answer."""

from __future__ import annotations

import uuid

from flask import current_app, request
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import login_required, require_identity

from . import services
from .config import auth_settings
from .models import Account
from .schemas import MeOut, SigninIn, SignupIn, SignupOut, TokenOut
from .tokens import TOKEN_TTL_S

blp = ApiBlueprint("auth", __name__, url_prefix="/auth", description="Accounts and tokens")


def _token_fields(account: Account) -> dict:
    codec = auth_settings(current_app).tokens
    return {
        "userId": account.id,
        "accessToken": codec.issue(
            user_id=account.id, role=account.role, version=account.token_version
        ),
        "tokenType": "Bearer",
        "expiresIn": TOKEN_TTL_S,
    }


def client_address() -> str:
    """The client as the gateway saw it: the right-most hop no trusted proxy added."""
    proxies = auth_settings(current_app).trusted_proxies
    return proxies.client_address(request.remote_addr, request.headers.get("X-Forwarded-For", ""))


@blp.route("/signup", methods=["POST"])
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
@blp.doc(security=[{"bearerAuth": []}])
def me():
    """The caller's account."""
    return services.get_account(user_id=require_identity().user_id)


@blp.route("/users/<uuid:user_id>", methods=["DELETE"])
@login_required
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def delete_user(user_id: uuid.UUID):
    """Delete an account (its owner or an admin); every service then forgets the user."""
    services.delete_account(caller=require_identity(), user_id=user_id)
