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


class SignupIn(Schema):
    """`POST /auth/signup`."""

    email = fields.Email(
        required=True,
        validate=[validate.Length(max=MAX_EMAIL), _key_fits],
    )
    password = fields.String(
        required=True, validate=validate.Length(min=MIN_PASSWORD, max=MAX_PASSWORD)
    )
    displayName = display_name_field()


class SigninIn(Schema):
    """`POST /auth/signin`."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EMAIL))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class TokenOut(Schema):
    """A fresh access token."""

    userId = fields.UUID()
    accessToken = fields.String()
    tokenType = fields.String()
    expiresIn = fields.Integer()


class SignupOut(Schema):
    """A new account and its first access token."""

    userId = fields.UUID()
    email = fields.String()
    displayName = fields.String()
    accessToken = fields.String()
    tokenType = fields.String()
    expiresIn = fields.Integer()


class MeOut(Schema):
    """The caller's account."""

    userId = fields.UUID(attribute="id")
    email = fields.String()
    role = fields.String()
