"""Per-route request body limits above the app-wide `MAX_CONTENT_LENGTH`.

Most routes take small JSON bodies and keep the app's limit; a route that takes files
(an import) names its own with `allow_body`. The limit is set before any other
`before_request` function reads the body (the input guard parses JSON bodies), so a
larger body is refused with 413 only past the route's own limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

View = TypeVar("View", bound=Callable[..., Any])
_ATTRIBUTE = "wlt_max_body_bytes"


def allow_body(max_bytes: int) -> Callable[[View], View]:
    """Let this view take bodies up to `max_bytes`; put it right below `@blp.route`."""

    def mark(view: View) -> View:
        setattr(view, _ATTRIBUTE, max_bytes)
        return view

    return mark


def _apply_route_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, _ATTRIBUTE, None)
    if limit is not None:
        request.max_content_length = limit


def install_body_limits(app: Flask) -> None:
    """Apply each route's `allow_body` limit before every other request hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, _apply_route_limit)
