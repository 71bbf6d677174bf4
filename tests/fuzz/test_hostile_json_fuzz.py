"""Every documented operation of every service, sent deep or huge JSON through the gateway.

Schemathesis generates bodies only for operations that document one, and never 50,000
levels deep; these two hostile bodies go to every operation of every OpenAPI document,
whatever its method, and each numeric field (body or query) gets a 5,000-digit number.
The answer is a 4xx problem document, never a 5xx.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.helpers import sign_up

PREFIXES = ["/auth", "/users", "/watchlists", "/friends", "/friendswatchlists", "/mediastatistics"]
PROBLEM = "application/problem+json"
DEEP = b"[" * 50_000
HUGE = "9" * 5000


def operations(gateway: str, prefix: str):
    """(method, path with placeholders filled, operation) of one service's document."""
    doc = requests.get(f"{gateway}{prefix}/openapi.json", timeout=10).json()
    for template, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            path = template
            for parameter in operation.get("parameters", []) + item.get("parameters", []):
                if parameter["in"] == "path":
                    kind = parameter.get("schema", {}).get("type")
                    value = "603" if kind == "integer" else str(uuid.uuid4())
                    path = path.replace("{" + parameter["name"] + "}", value)
            yield method.upper(), path, operation, doc


def numeric_fields(operation: dict, doc: dict) -> tuple[list[str], list[str]]:
    """Names of the integer or number fields of an operation's body and query."""
    query = [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("schema", {}).get("type") in ("integer", "number")
    ]
    schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})).get(
        "schema", {}
    )
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    body = [
        name
        for name, spec in schema.get("properties", {}).items()
        if spec.get("type") in ("integer", "number")
    ]
    return body, query


def assert_refused(response: requests.Response, statuses: tuple[int, ...], what: str) -> None:
    assert response.status_code in statuses, (what, response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith(PROBLEM), (what, response.headers)
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deep_and_huge_json_is_refused_by_every_operation(gateway, prefix):
    user = sign_up(gateway, "Hostile")
    auth = {"Authorization": f"Bearer {user.token}", "Content-Type": "application/json"}
    checked = 0
    for method, path, operation, doc in operations(gateway, prefix):
        url = gateway + path
        deep = requests.request(method, url, data=DEEP, headers=auth, timeout=10)
        assert_refused(deep, (400,), f"{method} {path} deep")
        body_fields, query_fields = numeric_fields(operation, doc)
        for name in body_fields:
            data = f'{{"{name}": {HUGE}}}'
            huge = requests.request(method, url, data=data, headers=auth, timeout=10)
            assert_refused(huge, (422,), f"{method} {path} body {name}")
        for name in query_fields:
            huge = requests.request(method, f"{url}?{name}={HUGE[:3000]}", headers=auth, timeout=10)
            assert_refused(huge, (400, 404, 422), f"{method} {path} query {name}")
        checked += 1
    assert checked, f"{prefix}: no operations documented"
