"""docs/api.md tells the truth: its route table is what the six apps serve and document."""

from __future__ import annotations

import importlib
import re
import subprocess

import pytest

from auth_service.verify import Access, access_rule
from devstack.services import SERVICES
from servicekit.problem_types import PROBLEM_PAGES, PROBLEM_TYPES
from tests.helpers import KEY_ENV, ROOT, service_key_env

REFERENCE = ROOT / "docs" / "api.md"
# Served by every app but not part of the public API: each service's own port only, or
# the documentation page's own files.
NOT_PUBLIC = {
    "/health/live",
    "/health/ready",
    "/metrics",
    "/verify",
    "/static/{}",
    "/docs/init.js",
    "/docs/assets/{}",
}
# /problems/<int:status>: the bodies of the gateway's own answers (not its public pages)
GATEWAY_BODIES = "/problems/<int:status>"
_ROW = re.compile(r"^\| `(GET|POST|PATCH|PUT|DELETE)` \| `([^`]+)` \| (token|public) \|")


def section(title: str) -> str:
    """The text of one `## ` section of the reference."""
    text = REFERENCE.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented() -> dict[tuple[str, str], str]:
    """(method, path with `{}` for each parameter) -> access, from the route table."""
    rows = {}
    for line in section("Routes").splitlines():
        found = _ROW.match(line)
        if found:
            method, path, access = found.groups()
            key = (method, re.sub(r"\{[^}]+\}", "{}", path))
            assert key not in rows, f"{key} twice in the route table"
            rows[key] = access
    return rows


@pytest.fixture(scope="module")
def apps():
    """The six Flask apps (no database is touched to list routes and documents)."""
    made = {}
    for spec in SERVICES:
        config = {
            "WLT_ENV": "test",
            **KEY_ENV,
            **service_key_env(spec.name),
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "DISCOVERY": "static",
            "WLT_LOG_LEVEL": "ERROR",
        }
        made[spec] = importlib.import_module(spec.package).create_app(config)
    return made


def registered(app) -> set[tuple[str, str]]:
    """(method, path) of every public route an app registers."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "{}", rule.rule)
        if rule.rule == GATEWAY_BODIES or path in NOT_PUBLIC or "internal" in path.split("/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, path))
    return routes


def test_the_route_table_is_read():
    rows = documented()

    assert len(rows) > 40
    assert ("GET", "/watchlists/{}") in rows and ("GET", "/docs") in rows


def test_every_registered_route_is_in_the_reference_and_nothing_else(apps):
    served = set().union(*(registered(app) for app in apps.values()))

    assert served - set(documented()) == set(), "routes missing from docs/api.md"
    assert set(documented()) - served == set(), "docs/api.md lists routes nobody serves"


def test_every_documented_operation_is_in_its_services_openapi_document(apps):
    in_documents = set()
    for spec, app in apps.items():
        document = app.test_client().get(f"{spec.prefix}/openapi.json").get_json()
        for path, operations in document["paths"].items():
            for method in operations.keys() & {"get", "post", "patch", "put", "delete"}:
                in_documents.add((method.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
    api_routes = {
        key
        for key in documented()
        if not key[1].endswith("/openapi.json") and not key[1].startswith(("/docs", "/problems"))
    }

    assert api_routes == in_documents


def sample(path: str) -> str:
    """A concrete path for a documented one (an id or a number for each parameter)."""
    path = re.sub(r"\{(mediaId)\}", "603", path)
    path = re.sub(r"\{slug\}", "not-found", path)
    return re.sub(r"\{[^}]*\}", "0b0e5f0e-8f5c-4d7e-9a51-5f3b7b8f4a10", path)


@pytest.mark.parametrize(("route", "access"), sorted(documented().items()))
def test_the_access_column_is_what_forward_auth_enforces(route, access):
    method, path = route
    pages = path.startswith(("/docs", "/problems"))  # routed without forward auth at all
    if pages:
        assert access == "public"
        return
    rule = access_rule(method, sample(path))

    assert rule is (Access.PUBLIC if access == "public" else Access.PROTECTED)


def test_the_errors_section_lists_every_problem_type():
    listed = set(re.findall(r"^\| `([^`]+)` \| (\d{3}|any other) \|", section("Errors"), re.M))
    expected = {(PROBLEM_PAGES + t.slug, str(t.status)) for t in PROBLEM_TYPES.values()}

    assert listed - {("about:blank", "any other")} == expected


@pytest.mark.parametrize(
    "text",
    [
        "Watchlist Tracker API reference",
        "X-Request-Id",
        "Retry-After",
        "RateLimit-Policy",
        "media-entry-changed",
        "user-deleted",
    ],
)
def test_the_reference_covers_headers_and_events(text):
    assert text in REFERENCE.read_text()


def test_nothing_in_the_repository_points_to_a_contract_outside_it():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = ("../" + "shared/", "shared/" + "contract.md")  # split: this file names them
    pointing = [
        name
        for name in tracked
        if (ROOT / name).is_file()
        and any(text in (ROOT / name).read_text(errors="replace") for text in outside)
    ]

    assert pointing == []
    assert "(docs/api.md)" in (ROOT / "README.md").read_text()
