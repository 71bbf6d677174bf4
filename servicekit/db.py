"""SQLAlchemy on PostgreSQL (psycopg 3) with the settings every service shares.

Pre-ping and recycling let a service survive a database restart without being
restarted itself; the statement timeout keeps a stuck query from holding a worker.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, scoped_session

from .config import Settings
from .errors import problem

log = logging.getLogger(__name__)

# A session, or Flask-SQLAlchemy's request-scoped `db.session` that stands for one.
AnySession = Session | scoped_session[Any]


def normalise_url(url: str) -> str:
    """Use psycopg 3 whatever PostgreSQL URL scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(settings: Settings) -> dict[str, Any]:
    """Engine options for `SQLALCHEMY_ENGINE_OPTIONS`."""
    return {
        "pool_pre_ping": True,
        "pool_recycle": 300,
        "pool_size": 5,
        "max_overflow": 5,
        "pool_timeout": 5,
        "connect_args": {
            "connect_timeout": 3,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
            "application_name": settings.service_name,
        },
    }


def configure_database(app: Flask, settings: Settings) -> None:
    """Put the database settings into the Flask config for Flask-SQLAlchemy."""
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_url(settings.database_url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(settings)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DBAPIError, _database_error)


def _database_unavailable(exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return problem(
        503,
        "Service unavailable",
        "The database is unavailable; try again shortly.",
        headers={"Retry-After": "1"},
    )


def _database_error(exc: DBAPIError) -> Response:
    if exc.connection_invalidated:
        return _database_unavailable(exc)
    log.exception("database error")
    return problem(500, "Internal server error", "An unexpected error occurred.")
