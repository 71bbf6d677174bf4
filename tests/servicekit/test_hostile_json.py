"""Deep or huge JSON is a 4xx problem document on every route of every service.

Every rule of every service's URL map gets the body, whatever its method (a GET too),
with a user's identity and the service credential, so no route is skipped for lack of
them; the guard must answer before any view or authentication check runs.
"""

import uuid

import pytest

from tests.helpers import assert_problem, identity, service_headers

SERVICES = [
    "auth_service",
    "user_service",
    "watchlist_service",
    "friends_service",
    "friendswatchlist_service",
    "mediastatistics_service",
]
DEEP = b"[" * 50_000
DEEP_CLOSED = b"[" * 50_000 + b"]" * 50_000
DEEP_BELOW_RECURSION_LIMIT = b'{"name": ' + b"[" * 200 + b"]" * 200 + b"}"
HUGE_NUMBER = b'{"mediaId": ' + b"7" * 5000 + b', "rating": 1, "progress": 1, "limit": 1}'
HUGE_FRACTION = b'{"mediaId": 1.' + b"7" * 5000 + b"}"


FILL = {"UUIDConverter": str(uuid.uuid4()), "IntegerConverter": "603"}


def concrete_paths(app):
    """(method, path) for every rule of the app, its placeholders filled in."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        while "<" in path:
            start, end = path.index("<"), path.index(">")
            name = path[start + 1 : end].split(":")[-1]
            value = FILL.get(type(rule._converters[name]).__name__, "x")
            path = path[:start] + value + path[end + 1 :]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.fixture(scope="module")
def apps(make_app):
    """One app of each service (the auth service pointed at nowhere: no call gets that far)."""
    return {name: make_app(name, USER_SERVICE_URL="http://127.0.0.1:9") for name in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    "body,status",
    [
        pytest.param(DEEP, 400, id="50000 open brackets"),
        pytest.param(DEEP_CLOSED, 400, id="50000 nested arrays"),
        pytest.param(DEEP_BELOW_RECURSION_LIMIT, 400, id="200 nested arrays"),
        pytest.param(HUGE_NUMBER, 422, id="5000-digit integer"),
        pytest.param(HUGE_FRACTION, 422, id="5000-digit fraction"),
    ],
)
def test_every_route_refuses_hostile_json_with_a_problem(apps, service, body, status):
    app = apps[service]
    client = app.test_client()
    headers = {
        **identity(uuid.uuid4()),
        **service_headers(),
        "Content-Type": "application/json",
    }
    routes = list(concrete_paths(app))
    assert len(routes) > 4, routes
    for method, path in routes:
        response = client.open(path, method=method, data=body, headers=headers)
        problem = assert_problem(response, status)
        if status == 422:
            assert "mediaId" in problem["errors"], (method, path, problem)
