"""HTTP request metrics whose series are fixed by the code, never by what clients send.

Labels are the route template (`/users/<uuid:user_id>`, not the id a client chose), one
shared label for every path no route matches, the method from a fixed set, and the
status. prometheus-flask-exporter's defaults label by raw path and method, so every
random id or invented method a client sends would add a series until the process dies.
"""

from __future__ import annotations

import os
from time import perf_counter

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "<other>"


def route_label() -> str:
    """The route template that matched this request, or one label for all that did not."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def method_label() -> str:
    """The request's method if it is a standard one; any invented method shares a label."""
    return request.method if request.method in METHODS else OTHER_METHOD


def install_request_metrics(
    app: Flask, registry: CollectorRegistry, excluded_prefixes: tuple[str, ...]
) -> None:
    """Time and count every request not under `excluded_prefixes`.

    Under gunicorn (`PROMETHEUS_MULTIPROC_DIR`) the values live in the shared files the
    multiprocess collector reads, so the metrics are not registered anywhere themselves.
    """
    target = None if "PROMETHEUS_MULTIPROC_DIR" in os.environ else registry
    duration = Histogram(
        "flask_http_request_duration_seconds",
        "Flask HTTP request duration in seconds, by route template",
        ("method", "route", "status"),
        registry=target,
    )
    total = Counter(
        "flask_http_request_total",
        "Total number of HTTP requests",
        ("method", "status"),
        registry=target,
    )

    def start_timer() -> None:
        g.wlt_request_started = perf_counter()

    # First of all hooks: a request another hook refuses (the input guard) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)

    @app.after_request
    def observe(response: Response) -> Response:
        started = g.pop("wlt_request_started", None)
        if started is None or request.path.startswith(excluded_prefixes):
            return response
        method, status = method_label(), str(response.status_code)
        duration.labels(method, route_label(), status).observe(perf_counter() - started)
        total.labels(method, status).inc()
        return response
