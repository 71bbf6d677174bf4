"""RFC 9457 problem documents for every error, and the domain errors services raise.

Service logic raises `NotFound`, `Conflict`, ... and never builds HTTP answers; the one
table below maps them to statuses, so every error a client sees has the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from .problem_types import problem_type

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """A failure the client can understand; subclasses fix the HTTP status."""

    status = 400
    title = "Bad request"

    def __init__(
        self, detail: str = "", *, errors: dict[str, list[str]] | None = None, **extra: Any
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra


class Unauthorized(DomainError):
    status, title = 401, "Unauthorized"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    status, title = 409, "Conflict"


class PreconditionFailed(DomainError):
    status, title = 412, "Precondition failed"


class Unprocessable(DomainError):
    status, title = 422, "Validation failed"


def invalid(field: str, message: str) -> Unprocessable:
    """A 422 naming one field, for checks a schema cannot express."""
    return Unprocessable(message, errors={field: [message]})


class TooManyRequests(DomainError):
    status, title = 429, "Too many requests"


class ServiceUnavailable(DomainError):
    status, title = 503, "Service unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": problem_type(status, title),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    if body.get("instance") is None:
        body.pop("instance", None)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs nests messages by location (`json`, `query`); clients want field names."""
    if not isinstance(messages, dict):
        return {"body": [str(messages)]}
    if set(messages) <= {"json", "query", "path", "headers", "form", "files"}:
        merged: dict[str, Any] = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"body": part})
        messages = merged
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        field = "body" if name == "_schema" else str(name)
        if isinstance(value, dict):
            for sub, sub_msgs in _flatten_messages(value).items():
                flat[f"{field}.{sub}"] = sub_msgs
        elif isinstance(value, list):
            flat[field] = [str(v) for v in value]
        else:
            flat[field] = [str(value)]
    return flat


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages and "Invalid JSON body." in str(messages):
        return problem(400, "Malformed JSON", "The request body is not valid JSON.")
    if status == 422 and messages is not None:
        return problem(
            422,
            "Validation failed",
            "The request has invalid fields.",
            errors=_flatten_messages(messages),
        )
    if status == 413:
        _drain_body()
        return problem(413, "Payload too large", "The request body is over the size limit.")
    headers = {}
    allowed = getattr(exc, "valid_methods", None)  # set on MethodNotAllowed only
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    title = exc.name or "Error"
    detail = exc.description if status != 500 else "An unexpected error occurred."
    return problem(status, title, detail or title, headers=headers)


_DRAIN_LIMIT = 64 * 1024 * 1024


def _drain_body() -> None:
    """Read and drop an oversized body, so the connection ends cleanly.

    Answering before the body is read makes the server close a socket the gateway is
    still writing to, and the gateway then reports a 502 instead of our 413.
    """
    length = request.content_length or 0
    if not 0 < length <= _DRAIN_LIMIT:
        return
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    try:
        while stream.read(65536):
            pass
    except (OSError, ValueError):
        pass


def _handle_domain(exc: DomainError) -> Response:
    headers = {}
    extra = dict(exc.extra)
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra.pop("retry_after"))
    return problem(exc.status, exc.title, exc.detail, errors=exc.errors, headers=headers, **extra)


def _handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "Internal server error", "An unexpected error occurred.")


def register_error_handlers(app: Flask) -> None:
    """Answer every error of this app with a problem document, never HTML or a trace."""
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(Exception, _handle_unexpected)
