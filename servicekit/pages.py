"""Pages the gateway serves without a token: `/docs` (Swagger UI) and `/problems/<slug>`.

Every service serves them, so the gateway can take them from whichever instance is up
(the `gateway-problems` pool of its error pages). The Swagger UI assets come from the
swagger-ui-bundle package installed with the services: the page loads nothing from
elsewhere.
"""

from __future__ import annotations

import html
import json
import re

import swagger_ui_bundle
from flask import Blueprint, Response, abort, send_from_directory

from .problem_types import PROBLEM_TYPES

# The seven OpenAPI documents, each at its service's gateway prefix.
API_DOCUMENTS = (
    ("auth", "/auth/openapi.json"),
    ("users", "/users/openapi.json"),
    ("watchlists", "/watchlists/openapi.json"),
    ("friends", "/friends/openapi.json"),
    ("friendswatchlists", "/friendswatchlists/openapi.json"),
    ("mediastatistics", "/mediastatistics/openapi.json"),
    ("activity", "/activity/openapi.json"),
)
_ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-16x16.png",
        "favicon-32x32.png",
    }
)

bp = Blueprint("pages", __name__)

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Watchlist Tracker API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

# No validator (it would send the documents to a public service); the bearer token given
# under "Authorize" is sent with "Try it out" to the gateway that served the page.
_INIT_SCRIPT = """window.ui = SwaggerUIBundle({
  urls: %s,
  "urls.primaryName": "auth",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  validatorUrl: null,
  deepLinking: true,
});
"""


@bp.get("/docs")
def docs() -> Response:
    """Swagger UI over the seven services' OpenAPI documents."""
    return Response(_DOCS_PAGE, mimetype="text/html")


@bp.get("/docs/init.js")
def docs_init() -> Response:
    """The script that starts Swagger UI with the list of documents."""
    urls = [{"name": name, "url": url} for name, url in API_DOCUMENTS]
    return Response(_INIT_SCRIPT % json.dumps(urls), mimetype="text/javascript")


@bp.get("/docs/assets/<name>")
def docs_asset(name: str) -> Response:
    """One file of the installed Swagger UI."""
    if name not in _ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=3600)


def _code_spans(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


@bp.get("/problems/<slug>")
def problem_page(slug: str) -> Response:
    """The page a problem document's `type` points to."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        abort(404)
    others = "".join(
        f'<li><a href="/problems/{t.slug}">{t.status} {html.escape(t.title)}</a></li>'
        for t in PROBLEM_TYPES.values()
    )
    page = (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{kind.status} {html.escape(kind.title)}: Watchlist Tracker API</title></head>\n"
        f"<body>\n<h1>{html.escape(kind.title)}</h1>\n<p>HTTP status {kind.status}. "
        f"{_code_spans(kind.explanation)}</p>\n"
        "<p>Every error is an <code>application/problem+json</code> document (RFC 9457) with "
        "<code>type</code>, <code>title</code>, <code>status</code> and <code>detail</code>; "
        'the API reference is at <a href="/docs">/docs</a>.</p>\n'
        f"<h2>Every problem type</h2>\n<ul>{others}</ul>\n</body>\n</html>\n"
    )
    return Response(page, mimetype="text/html")
