"""JSON logs and the request id that ties one request's lines together across services."""

from __future__ import annotations

import logging
import sys
import time
import uuid

import structlog
from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
_configured = False


def configure_logging(service_name: str, level: str = "INFO") -> None:
    """Send every log line, ours and the libraries', to stdout as one JSON object."""
    global _configured
    if _configured:
        return
    _configured = True
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.contextvars.bind_contextvars(service=service_name)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def current_request_id() -> str | None:
    """The id of the request being served, to pass on to downstream calls."""
    try:
        request_id: str | None = g.get("request_id")
        return request_id
    except RuntimeError:
        return None


def _valid_request_id(value: str) -> bool:
    return 0 < len(value) <= 128 and value.isascii() and value.isprintable()


def install_request_logging(app: Flask, quiet_paths: tuple[str, ...] = ()) -> None:
    """Take or mint `X-Request-Id`, echo it back, and log one line per request.

    `quiet_paths` (and health and metrics) get no line: the gateway's forward-auth call
    would otherwise double every request's log.
    """
    access = structlog.get_logger("access")
    silent = ("/health", "/metrics", *quiet_paths)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _valid_request_id(incoming) else str(uuid.uuid4())
        g.request_started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        if started is not None and not request.path.startswith(silent):
            access.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
        structlog.contextvars.unbind_contextvars("request_id")
        return response
