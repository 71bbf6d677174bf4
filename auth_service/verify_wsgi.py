"""Gunicorn entry point of the forward-auth processes: `gunicorn auth_service.verify_wsgi:app`.

The gateway asks `/verify` before every request, so it runs in processes of its own
(`auth-verify` in devstack, compose and Swarm): no request body a client sends slowly and
no password hash of a sign-up can hold the workers that answer it. These processes serve
only `/verify`, the health and metrics endpoints and the gateway's pages (/problems, /docs);
any other request is a 404 problem document, answered without reading its body.
"""

from __future__ import annotations

import json

from . import create_app
from .verify import passed

SERVED = ("/verify", "/health/", "/metrics", "/problems/", "/docs")
_NOT_HERE = json.dumps(
    {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "This process serves the gateway's /verify only.",
    }
).encode()

_app = create_app()


def app(wsgi_env, start_response):
    """The auth app for the served paths; 404 for the rest before any body is read."""
    answer = passed(_app, wsgi_env, start_response)
    if answer is not None:
        return answer
    path = wsgi_env.get("PATH_INFO", "")
    if path == "/verify" or path.startswith(SERVED[1:]):
        return _app(wsgi_env, start_response)
    start_response(
        "404 Not Found",
        [
            ("Content-Type", "application/problem+json"),
            ("Content-Length", str(len(_NOT_HERE))),
            ("Connection", "close"),
        ],
    )
    return [_NOT_HERE]
