"""A valid token of another user never reaches Alice's data: 404 (or 403 where the
contract says so), a problem document, and Alice's data unchanged afterwards."""

from __future__ import annotations

import pytest

from .routes import fill
from .support import alice_view, assert_problem

# (method, path, body, status the contract gives an outsider)
FOREIGN_RESOURCES = [
    ("DELETE", "/auth/users/{alice}", None, 403),
    ("PATCH", "/users/{alice}", {"displayName": "pwned"}, 403),
    ("GET", "/watchlists/{list}", None, 404),
    ("GET", "/watchlists/{list}/media", None, 404),
    ("PATCH", "/watchlists/{list}", {"name": "pwned"}, 404),
    ("DELETE", "/watchlists/{list}", None, 404),
    ("POST", "/watchlists/{list}/media", {"mediaId": 604}, 404),
    ("PATCH", "/watchlists/{list}/media/{media}", {"rating": 1}, 404),
    ("DELETE", "/watchlists/{list}/media/{media}", None, 404),
    ("POST", "/friends/requests/{request}/accept", None, 404),
    ("POST", "/friends/requests/{request}/decline", None, 404),
    ("DELETE", "/friends/requests/{request}", None, 404),
    ("DELETE", "/friends/{dave}", None, 404),
    ("DELETE", "/friends/{alice}", None, 404),
    ("POST", "/friendswatchlists/{pending}/accept", None, 404),
    ("POST", "/friendswatchlists/{pending}/decline", None, 404),
    ("POST", "/friendswatchlists/{shared}/leave", None, 404),
    ("POST", "/friendswatchlists/{shared}/members", {"userId": "{bob}"}, 404),
    ("POST", "/friendswatchlists/{pending}/members", {"userId": "{bob}"}, 404),
    ("DELETE", "/friendswatchlists/{shared}/members/{dave}", None, 404),
    ("DELETE", "/friendswatchlists/{pending}/members/{erin}", None, 404),
    ("POST", "/friendswatchlists/{shared}/owner", {"userId": "{bob}"}, 404),
    ("POST", "/friendswatchlists/{shared}/owner", {"userId": "{dave}"}, 404),
    ("GET", "/friendswatchlists/{shared}", None, 404),
    ("GET", "/friendswatchlists/{shared}/media", None, 404),
    ("PATCH", "/friendswatchlists/{shared}", {"name": "pwned"}, 404),
    ("DELETE", "/friendswatchlists/{shared}", None, 404),
    ("POST", "/friendswatchlists/{shared}/media", {"mediaId": 604}, 404),
    ("PATCH", "/friendswatchlists/{shared}/media/{media}", {"rating": 1}, 404),
    ("DELETE", "/friendswatchlists/{shared}/media/{media}", None, 404),
    ("GET", "/friendswatchlists/{pending}", None, 404),
]


@pytest.fixture(scope="module")
def before(world) -> dict:
    return alice_view(world)


@pytest.mark.parametrize(
    "method,template,body,status",
    FOREIGN_RESOURCES,
    ids=[f"{m} {p}" for m, p, _, _ in FOREIGN_RESOURCES],
)
def test_another_users_token_never_reaches_alices_data(
    world, before, method, template, body, status
):
    response = world.bob.request(method, world.path(template), json=fill(world, body))
    assert_problem(response, status)
    for secret in ("Alice's secrets", "Alice+Dave", "Alice+Erin"):
        assert secret not in response.text
    assert alice_view(world) == before


# collection routes: 200 for Bob, with none of Alice's ids in them
OWN_COLLECTIONS = [
    "/auth/me",
    "/watchlists",
    "/friends",
    "/friends/requests",
    "/friendswatchlists",
    "/friendswatchlists/invites",
]


@pytest.mark.parametrize("path", OWN_COLLECTIONS)
def test_collections_show_only_the_callers_own_data(world, path):
    response = world.bob.get(path)
    assert response.status_code == 200, response.text
    for name in ("list", "request", "shared", "pending", "alice"):
        assert world.ids[name] not in response.text, name


def test_an_invited_user_sees_only_the_invite(world):
    """Erin may see the pending list's invite, not its content or Dave's list."""
    invites = world.erin.get("/friendswatchlists/invites").json()["items"]
    assert [item["listId"] for item in invites] == [world.ids["pending"]]
    assert world.ids["shared"] not in world.erin.get("/friendswatchlists").text
