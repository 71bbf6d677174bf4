"""The parts of every service's `create_app` that are the same in all seven."""

from __future__ import annotations

import http
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask import Response as FlaskResponse
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError

from . import keys
from .assertions import CredentialSigner
from .body_limits import install_body_limits
from .config import Settings, load_settings
from .db import configure_database
from .discovery import make_discovery
from .errors import PROBLEM_MEDIA_TYPE, register_error_handlers
from .health import add_ready_check, broker_check, database_check, install_health
from .http import ServiceClient
from .identity import install_identity
from .input_guard import install_input_guard
from .logging import configure_logging, install_request_logging
from .pages import bp as pages_blueprint

log = logging.getLogger(__name__)


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of every service is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ServiceApi(Api):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Api, documenting errors as the problem documents they are."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem document)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def create_service_app(
    import_name: str,
    *,
    service_name: str,
    prefix: str,
    title: str,
    config: Mapping[str, str] | None = None,
    uses_broker: bool = False,
    quiet_paths: tuple[str, ...] = (),
    own_settings: Callable[[Flask, Mapping[str, str]], object] | None = None,
) -> tuple[Flask, Api]:
    """A Flask app with settings, problem errors, logging, health, metrics and OpenAPI.

    `config` overrides environment variables (tests pass a database URL this way).
    `quiet_paths` are hot internal paths left out of the access log and request metrics.
    `own_settings` loads the settings only this service reads (its typed settings class)
    from the same environment onto the app, so they fail as early as the shared ones.
    The caller registers its own models (`db.init_app`) and blueprints on the result.
    """
    environ = {**os.environ, **(config or {})}
    settings: Settings = load_settings(service_name, environ)
    configure_logging(service_name, environ.get("WLT_LOG_LEVEL", "INFO"))

    app = Flask(import_name)
    app.config.update(
        WLT_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.env == "test",
        API_TITLE=title,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=prefix,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
    )
    if own_settings is not None:
        own_settings(app, environ)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the default provider has it
    app.url_map.strict_slashes = False
    configure_database(app, settings)
    api = ServiceApi(app)
    register_error_handlers(app)
    install_request_logging(app, quiet_paths)
    install_input_guard(app)
    install_body_limits(app)  # first of the hooks, whatever the order they are added in
    install_health(app, quiet_paths)
    app.register_blueprint(pages_blueprint)
    install_identity(app, settings)

    @app.after_request
    def no_type_without_content(response: FlaskResponse) -> FlaskResponse:
        # `return "", 204` would otherwise be labelled text/html
        if response.status_code == 204:
            response.headers.pop("Content-Type", None)
        # Who asks decides what is answered (a list read by its owner shows notes, by a
        # friend more lists than by a stranger): no shared cache may serve one caller's
        # answer to another.
        response.vary.add("Authorization")
        return response

    signer = CredentialSigner(settings.service_name, keys.private_key(settings.service_key))
    app.extensions["wlt_service_client"] = ServiceClient(
        make_discovery(settings), signer.for_service, timeout_s=settings.http_timeout_s
    )
    if uses_broker:
        # Reported, not required: this process only writes the outbox, which keeps events
        # while the broker is away, so requests still succeed.
        add_ready_check(
            app,
            "broker",
            broker_check(settings.kafka_bootstrap, settings.kafka_auth),
            critical=False,
        )
    return app, api


def finish_service_app(app: Flask, db: SQLAlchemy) -> Flask:
    """Bind the service's database and make readiness depend on it."""
    db.init_app(app)
    _safe_session_teardown(app, db)
    add_ready_check(app, "database", database_check(db))
    return app


def _safe_session_teardown(app: Flask, db: SQLAlchemy) -> None:
    """Replace Flask-SQLAlchemy's teardown with one that survives a dead connection.

    When PostgreSQL ends a connection mid-request, the closing ROLLBACK raises after the
    error handlers have run, and the WSGI server would answer with its own HTML 500.
    """
    funcs = app.teardown_appcontext_funcs
    funcs[:] = [f for f in funcs if getattr(f, "__self__", None) is not db]

    @app.teardown_appcontext
    def remove_session(_exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except SQLAlchemyError as exc:
            log.warning("discarded a session whose connection died: %s", exc.__class__.__name__)


def settings_of(app: Flask) -> Settings:
    """The settings an app was built with."""
    settings: Settings = app.config["WLT_SETTINGS"]
    return settings
