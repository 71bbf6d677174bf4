"""Media statistics service: per-media counters kept exactly by `media-entry-changed` events."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from servicekit.app import create_service_app, finish_service_app
from servicekit.health import add_ready_check

from .api import blp, internal, people
from .config import install_stats_settings
from .models import db
from .progress import consumer_check, install_lag_metrics

SERVICE_NAME = "mediastatistics"
PREFIX = "/mediastatistics"


def create_app(config: Mapping[str, str] | None = None) -> Flask:
    """Build the media statistics service's app; `config` overrides environment variables."""
    app, api = create_service_app(
        __name__,
        service_name=SERVICE_NAME,
        prefix=PREFIX,
        title="Media statistics service",
        config=config,
        uses_broker=True,
        own_settings=install_stats_settings,
    )
    finish_service_app(app, db)
    api.register_blueprint(blp)
    api.register_blueprint(people)
    app.register_blueprint(internal)
    add_ready_check(app, "consumer", consumer_check(app))
    install_lag_metrics(app)
    return app
