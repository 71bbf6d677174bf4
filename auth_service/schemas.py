"""Request and response shapes of the auth service."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from servicekit.schemas import DisplayName

from .emails import email_key

MAX_EMAIL = 254
MIN_PASSWORD, MAX_PASSWORD = 8, 128


def display_name_field() -> fields.String:
    """The display name, checked exactly as the user service checks it."""
    return DisplayName(required=True)


def _key_fits(email: str) -> None:
    # Folding can lengthen an address (`ß` -> `ss`, a Unicode domain -> `xn--...`).
    if len(email_key(email)) > MAX_EMAIL:
        raise ValidationError(f"Longer than {MAX_EMAIL} characters once normalised.")


def password_field() -> fields.String:
    """A new password, checked as at sign-up."""
    return fields.String(
        required=True, validate=validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD)
    )


class SignupIn(Schema):
    """`POST /auth/signup`."""

    email = fields.Email(
        required=True,
        validate=[validate.Length(max=MAX_EMAIL), _key_fits],
    )
    password = password_field()
    displayName = display_name_field()


class SigninIn(Schema):
    """`POST /auth/signin`."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class RefreshIn(Schema):
    """`POST /auth/refresh`: a refresh token, spent by this call."""

    refreshToken = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChangeIn(Schema):
    """`POST /auth/password`."""

    currentPassword = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_PASSWORD)
    )
    newPassword = password_field()


class TokenOut(Schema):
    """A fresh access token (short-lived) and the refresh token that renews it (one use)."""

    userId = fields.UUID()
    accessToken = fields.String()
    tokenType = fields.String()
    expiresIn = fields.Integer(metadata={"description": "seconds the access token lives"})
    refreshToken = fields.String(
        metadata={"description": "spend at POST /auth/refresh; each one works once"}
    )
    refreshExpiresIn = fields.Integer(metadata={"description": "seconds the refresh token lives"})


class SignupOut(TokenOut):
    """A new account and its first tokens."""

    email = fields.String()
    displayName = fields.String()


class MeOut(Schema):
    """The caller's account."""

    userId = fields.UUID(attribute="id")
    email = fields.String()
    role = fields.String()
