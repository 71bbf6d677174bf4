"""docs/api.md's "Safe retries" names exactly the operations that take an Idempotency-Key."""

from __future__ import annotations

import re

from servicekit.idempotency import HEADER
from tests.repository.test_api_reference import apps, section  # noqa: F401  # apps: a fixture

_LISTED = re.compile(r"^- `(POST) (/[^`]*)`$", re.M)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def listed() -> set[tuple[str, str]]:
    """(method, path) of the routes the Safe retries section lists."""
    found = _LISTED.findall(section("Safe retries (Idempotency-Key)"))
    return {(method, _shape(path)) for method, path in found}


def keyed_operations(apps) -> set[tuple[str, str]]:  # noqa: F811  # the fixture's value
    """(method, path) of every OpenAPI operation that documents the header."""
    keyed = set()
    for spec, app in apps.items():
        document = app.test_client().get(f"{spec.prefix}/openapi.json").get_json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method == "parameters":  # the path's own, not an operation
                    continue
                names = {p.get("name") for p in operation.get("parameters", [])}
                if HEADER in names:
                    keyed.add((method.upper(), _shape(path)))
    return keyed


def test_the_section_lists_the_eight_create_routes():
    assert len(listed()) == 8  # the six creates and the two watch records
    assert ("POST", "/auth/signup") in listed()
    assert ("POST", "/watchlists/{}/media/{}/{}/watches") in listed()


def test_the_listed_routes_are_the_ones_whose_openapi_operations_take_the_header(apps):  # noqa: F811
    assert keyed_operations(apps) == listed()


def test_every_listed_route_says_so_in_the_route_table():
    rows = [line for line in section("Routes").splitlines() if "Idempotency-Key" in line]
    in_table = {
        (m, _shape(p))
        for m, p in (re.match(r"^\| `(\w+)` \| `([^`]+)`", row).groups() for row in rows)
    }
    assert in_table == listed()
