"""Activity service: the friends' feed, kept from the events the other services publish.

Its worker follows `media-entry-changed`, `friendship-changed` and `user-deleted` into
its own tables (models.py); the routes read them (feed.py). It calls no other service
to answer, except the user service for display names.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app

from .api import blp, people
from .models import db

SERVICE_NAME = "activity"
PREFIX = "/activity"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the activity service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="Activity service",
        config=config,
        uses_broker=True,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    api.register_blueprint(people)
    return app
