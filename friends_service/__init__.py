"""Friends service: friend requests, friendships, and the friends list with display names."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from .api import blp
from .internal import internal
from .models import db

SERVICE_NAME = "friends"
PREFIX = "/friends"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the friends service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="Friends service",
        config=config,
        uses_broker=True,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    app.register_blueprint(internal)
    return app
