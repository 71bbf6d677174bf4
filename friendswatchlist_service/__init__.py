"""FriendsWatchlist service: lists shared by up to ten people, with invites and media entries."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from .api import blp, internal
from .members_api import member_blp
from .models import db
from .watches_api import watch_blp

SERVICE_NAME = "friendswatchlist"
PREFIX = "/friendswatchlists"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the shared-watchlist service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="FriendsWatchlist service",
        config=config,
        uses_broker=True,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    api.register_blueprint(member_blp)
    api.register_blueprint(watch_blp)
    app.register_blueprint(internal)
    return app
