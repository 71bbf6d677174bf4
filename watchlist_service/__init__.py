"""Watchlist service: personal lists of films and series, with their entry events."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from .api import blp, internal
from .common_api import common, internal_common
from .models import db
from .people_api import people
from .transfer_api import transfer_blp
from .watches_api import watch_blp

SERVICE_NAME = "watchlist"
PREFIX = "/watchlists"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the watchlist service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="Watchlist service",
        config=config,
        uses_broker=True,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    api.register_blueprint(watch_blp)
    api.register_blueprint(people)
    api.register_blueprint(transfer_blp)
    api.register_blueprint(common)
    app.register_blueprint(internal)
    app.register_blueprint(internal_common)
    return app
