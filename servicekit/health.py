"""`/health/live`, `/health/ready` and `/metrics` on every service's own port."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text

from .errors import problem
from .metrics import install_request_metrics

# A readiness check returns (healthy, details shown to the operator).
ReadyCheck = Callable[[], tuple[bool, Any]]

bp = Blueprint("health", __name__)


@bp.get("/health/live")
def live() -> Response:
    """The process is up and serving."""
    return jsonify(status="ok")


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    """Every dependency this service needs to answer requests answers.

    A check added with `critical=False` (the broker: writes queue in the outbox while it
    is away) shows in the details and turns the status to "degraded", but keeps the
    service in the load balancer.
    """
    checks: dict[str, Any] = {}
    healthy, degraded = True, False
    for name, (check, critical) in current_app.extensions["wlt_ready_checks"].items():
        try:
            ok, details = check()
        except Exception as exc:  # noqa: BLE001 - a failing check is an answer, not a crash
            ok, details = False, exc.__class__.__name__
        checks[name] = {"ok": ok, "critical": critical, "details": details}
        if not ok:
            healthy = healthy and not critical
            degraded = True
    status = "unavailable" if not healthy else "degraded" if degraded else "ok"
    return jsonify({"status": status, "checks": checks}), 200 if healthy else 503


_GATEWAY_DETAILS = {
    404: "Nothing is served at this path.",
    413: "The request body is larger than the gateway accepts.",
    429: "Too many requests from this client; wait as Retry-After says, then try again.",
    500: "The request could not be completed; try again shortly.",
    502: "The service behind this path did not answer; try again shortly.",
    503: "The service behind this path is unavailable; try again shortly.",
    504: "The service behind this path did not answer in time; try again shortly.",
}


@bp.get("/problems/<int:status>")
def gateway_problem(status: int) -> Response:
    """The body the gateway shows for answers it makes itself (never routed itself)."""
    if status not in _GATEWAY_DETAILS:
        status = 404
    headers = {"Retry-After": "1"} if status >= 500 else None
    if status == 429:
        headers = _rate_limit_headers()
    return problem(
        status,
        HTTPStatus(status).phrase,
        _GATEWAY_DETAILS[status],
        headers=headers,
        instance=None,
    )


def _rate_limit_headers() -> dict[str, str]:
    """Headers of a gateway 429: its limiter's policy (the query names it) and when to retry.

    The gateway's limiter knows the exact wait but its answer is replaced by this page, so
    Retry-After is the policy's whole window: an upper bound, never too early.
    """
    limit = request.args.get("limit", default=1, type=int) or 1
    window = request.args.get("window", default=1, type=int) or 1
    limit, window = max(1, min(limit, 10**6)), max(1, min(window, 86_400))
    return {
        "Retry-After": str(window),
        "RateLimit-Policy": f"{limit};w={window}",
        "RateLimit": f"limit={limit}, remaining=0, reset={window}",
    }


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, summed over every process of the service."""
    registry = current_app.extensions["wlt_metrics_registry"]
    output = generate_latest(registry)
    if registry is not REGISTRY and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        output += generate_latest(REGISTRY)
    return Response(output, mimetype=CONTENT_TYPE_LATEST)


def database_check(db) -> ReadyCheck:
    """Ready when `SELECT 1` answers."""

    def check() -> tuple[bool, Any]:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True, "ok"

    return check


def broker_check(
    bootstrap: str, auth: dict[str, str] | None = None, ttl_s: float = 5.0
) -> ReadyCheck:
    """Ready when the broker answers a metadata request (cached a few seconds).

    `auth` are the service's broker credentials: a broker that refuses them is not ready.
    """
    state: dict[str, Any] = {"at": 0.0, "result": (False, "not checked")}

    def check() -> tuple[bool, Any]:
        if not bootstrap:
            return True, "disabled: no broker configured (events produced here wait in the outbox)"
        now = time.monotonic()
        if now - state["at"] > ttl_s:
            from confluent_kafka.admin import AdminClient

            try:
                AdminClient({"bootstrap.servers": bootstrap, **(auth or {})}).list_topics(timeout=1)
                state["result"] = (True, "ok")
            except Exception as exc:  # noqa: BLE001
                state["result"] = (False, f"unreachable: {exc.__class__.__name__}")
            state["at"] = now
        return state["result"]

    return check


def install_health(app: Flask, quiet_paths: tuple[str, ...] = ()) -> None:
    """Register the health and metrics routes and HTTP request metrics (not of quiet paths)."""
    app.extensions.setdefault("wlt_ready_checks", {})
    registry = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    install_request_metrics(app, registry, ("/health", "/metrics", *quiet_paths))
    app.extensions["wlt_metrics_registry"] = registry
    app.register_blueprint(bp)


def add_ready_check(app: Flask, name: str, check: ReadyCheck, *, critical: bool = True) -> None:
    """Make readiness depend on one more check (or only report it, when not critical)."""
    app.extensions.setdefault("wlt_ready_checks", {})[name] = (check, critical)
