"""Alice's private list stays hers through the gateway: no token, a stranger's, a friend's
token or forged identity headers all get 404, and her lists under her path show it to no one
else."""

from __future__ import annotations

import pytest
import requests

from .routes import LIST_AUDIENCE_ROUTES, route_id

SPOOFED = {"X-User-Id": "{alice}", "X-User-Role": "ADMIN"}


def _get(world, who, path, headers=None):
    if who is None:
        return requests.get(world.alice.gateway + path, headers=headers or {}, timeout=10)
    return getattr(world, who).get(path, headers=headers or {})


@pytest.mark.parametrize("route", LIST_AUDIENCE_ROUTES, ids=map(route_id, LIST_AUDIENCE_ROUTES))
@pytest.mark.parametrize("who", [None, "bob", "carol", "dave"])
def test_a_private_list_is_404_to_everyone_but_its_owner(world, route, who):
    path = world.path(route[1])
    assert world.alice.get(path).status_code == 200
    response = _get(world, who, path)
    assert response.status_code == 404, response.text
    assert "secrets" not in response.text  # the list's name ("Alice's secrets")


@pytest.mark.parametrize("route", LIST_AUDIENCE_ROUTES, ids=map(route_id, LIST_AUDIENCE_ROUTES))
def test_identity_headers_without_a_token_do_not_make_a_reader_the_owner(world, route):
    headers = {k: world.path(v) for k, v in SPOOFED.items()}
    response = _get(world, None, world.path(route[1]), headers=headers)
    assert response.status_code in (401, 404), response.text
    assert "secrets" not in response.text


@pytest.mark.parametrize("who", [None, "bob", "carol", "dave"])
def test_alices_lists_under_her_path_leave_out_the_private_one(world, who):
    path = world.path("/users/{alice}/watchlists")
    mine = world.alice.get(path).json()
    assert world.ids["list"] in [item["listId"] for item in mine["items"]]
    response = _get(world, who, path)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "nextCursor": None, "degraded": False}
