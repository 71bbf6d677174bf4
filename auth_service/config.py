"""Settings only the auth service reads: the keys that sign users' tokens and identity
assertions (no other service holds them), and the proxies whose forwarded addresses
are believed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask

from servicekit import keys
from servicekit.app import settings_of
from servicekit.assertions import AssertionSigner, AssertionVerifier
from servicekit.config import ConfigError, private_key_setting
from servicekit.proxies import TrustedProxies

from .tokens import TokenCodec

DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


@dataclass(frozen=True)
class AuthSettings:
    """What signs and checks here, made once per process."""

    tokens: TokenCodec
    assertions: AssertionSigner
    trusted_proxies: TrustedProxies


def install_auth_settings(app: Flask, environ: Mapping[str, str]) -> AuthSettings:
    """Load the auth service's keys; refuse a public assertion key that does not match."""
    settings = settings_of(app)
    env = settings.env
    token_key = private_key_setting(environ, "WLT_TOKEN_SIGNING_KEY", env)
    assertion_key = private_key_setting(environ, "WLT_ASSERTION_SIGNING_KEY", env)
    if environ.get("WLT_ASSERTION_PUBLIC_KEY") and settings.assertion_public_key != keys.public_of(
        assertion_key
    ):
        raise ConfigError("WLT_ASSERTION_PUBLIC_KEY is not the public half of the signing key")
    signer = keys.private_key(assertion_key)
    # this service's own routes check assertions like every other service's
    app.extensions["wlt_assertions"] = AssertionVerifier(signer.public_key())
    try:
        proxies = TrustedProxies.parse(environ.get("WLT_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES))
    except ValueError as exc:
        raise ConfigError(f"WLT_TRUSTED_PROXIES: {exc}") from None
    auth = AuthSettings(
        tokens=TokenCodec(keys.private_key(token_key)),
        assertions=AssertionSigner(signer),
        trusted_proxies=proxies,
    )
    app.extensions["auth_settings"] = auth
    return auth


def auth_settings(app: Flask) -> AuthSettings:
    """The app's auth settings."""
    auth: AuthSettings = app.extensions["auth_settings"]
    return auth
