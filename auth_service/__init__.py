"""Auth service: accounts, sign-up and sign-in, access tokens, the gateway's `/verify`."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from . import gate, passwords
from .api import blp
from .config import install_auth_settings
from .models import db
from .verify import gateway, install_lookup_engine

SERVICE_NAME = "auth"
PREFIX = "/auth"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the auth service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="Auth service",
        config=config,
        # Only the worker talks to Kafka: a broker outage must not take sign-in
        # (and with it every gateway request) out of the load balancer.
        uses_broker=False,
        # one forward-auth call per gateway request: no access line, no request metrics
        quiet_paths=("/verify",),
        own_settings=install_auth_settings,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    app.register_blueprint(gateway)
    install_lookup_engine(app)
    gate.install(app)
    from .cli import register_cli  # late: `python -m auth_service.cli` runs that module

    register_cli(app)
    passwords.warm_up()
    return app
