"""Watchlist service: only the owner sees or touches a private list (404 for others; 401
anonymous for writes, 404 for reads, which visibility may open to anyone)."""

import uuid

import pytest

from tests.helpers import assert_problem, identity

ROUTES = {
    "show list": ("GET", "", None, 200),
    "rename list": ("PATCH", "", {"name": "Taken"}, 200),
    "delete list": ("DELETE", "", None, 204),
    "add media": ("POST", "/media", {"mediaId": "{other}"}, 201),
    "change media": ("PATCH", "/media/{mid}", {"status": "dropped", "rating": 1}, 200),
    "remove media": ("DELETE", "/media/{mid}", None, 204),
}
CALLERS = {
    "owner": None,
    "other user": "USER",
    "admin": "ADMIN",
    "no identity": "",
}


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_ownership_matrix(client, caller, media_id, route, who):
    method, suffix, body, owner_status = ROUTES[route]
    list_id, mid, other = caller.new_list("Private"), media_id(), media_id()
    caller.add(list_id, mid, status="watching", rating=7)
    before = caller.show(list_id)
    if isinstance(body, dict) and body.get("mediaId") == "{other}":
        body = {"mediaId": other}
    path = f"/watchlists/{list_id}" + suffix.replace("{mid}", str(mid))
    role = CALLERS[who]
    headers = caller.headers if role is None else identity(uuid.uuid4(), role) if role else {}
    response = client.open(path, method=method, json=body, headers=headers)
    if who == "owner":
        assert response.status_code == owner_status, response.get_json()
        return
    assert_problem(response, 404 if headers or method == "GET" else 401)
    assert caller.show(list_id) == before


@pytest.mark.parametrize("method, body", [("GET", None), ("POST", {"name": "x"})])
def test_collection_routes_need_identity(client, method, body):
    assert_problem(client.open("/watchlists", method=method, json=body), 401)


@pytest.mark.parametrize(
    "headers",
    [{"X-User-Id": "not-a-uuid"}, {"X-User-Id": str(uuid.uuid4()), "X-User-Role": "ROOT"}],
)
def test_malformed_identity_is_401(client, headers):
    assert_problem(client.get("/watchlists", headers=headers), 401)
