"""User service: public profiles, batch lookup, prefix search, rename by the owner."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from .api import blp, internal
from .models import db

SERVICE_NAME = "user"
PREFIX = "/users"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the user service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="User service",
        config=config,
        uses_broker=True,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    app.register_blueprint(internal)
    return app
