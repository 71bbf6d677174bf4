"""Who may do what: owner, active member, pending invitee, stranger, no identity × each route.

The owner and member act on an active list; the invitee on a pending list of the same
owner (an invitee is never on an active list). Refused calls must change nothing.
"""

import uuid

import pytest

from tests.helpers import assert_problem, identity

ROLES = ("owner", "member", "invitee", "stranger", "anonymous")

# route: (method, path after the list id, body, expected status per role in ROLES order)
ROUTES = {
    "get": ("GET", "", None, (200, 200, 404, 404, 401)),
    "rename": ("PATCH", "", {"name": "Renamed"}, (200, 200, 404, 404, 401)),
    "delete": ("DELETE", "", None, (204, 403, 404, 404, 401)),
    "leave": ("POST", "/leave", None, (204, 204, 404, 404, 401)),
    "accept": ("POST", "/accept", None, (404, 404, 200, 404, 401)),
    "decline": ("POST", "/decline", None, (404, 404, 204, 404, 401)),
    "add-media": ("POST", "/media", {"mediaId": 2}, (201, 201, 404, 404, 401)),
    "update-media": ("PATCH", "/media/1", {"status": "watched"}, (200, 200, 404, 404, 401)),
    "remove-media": ("DELETE", "/media/1", None, (204, 204, 404, 404, 401)),
}
CELLS = [
    pytest.param(route, role, statuses[i], id=f"{route}-{role}")
    for route, (_, _, _, statuses) in ROUTES.items()
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def cast(lists, make_user):
    """An active list (owner, member) and a pending one (owner, invitee), each with media 1."""
    owner, member, invitee = make_user("Owner"), make_user("Member"), make_user("Invitee")
    active = lists.active(owner, member, "Active")
    pending = lists.create(owner, invitee, "Pending")
    for list_id in (active, pending):
        lists.add(owner, list_id, 1)
    return {
        "ids": {"owner": owner, "member": member, "invitee": invitee, "stranger": uuid.uuid4()},
        "active": active,
        "pending": pending,
    }


def _snapshot(lists, owner, list_id):
    response = lists.get(owner, list_id)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(("route", "role", "expected"), CELLS)
def test_access_matrix(client, lists, cast, route, role, expected):
    method, suffix, body, _ = ROUTES[route]
    list_id = cast["pending"] if role == "invitee" else cast["active"]
    owner = cast["ids"]["owner"]
    before = _snapshot(lists, owner, list_id)
    headers = identity(cast["ids"][role]) if role != "anonymous" else {}
    response = client.open(
        f"/friendswatchlists/{list_id}{suffix}", method=method, json=body, headers=headers
    )
    if expected >= 400:
        assert_problem(response, expected)
        assert _snapshot(lists, owner, list_id) == before
    else:
        assert response.status_code == expected, response.get_json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/friendswatchlists"),
        ("POST", "/friendswatchlists"),
        ("GET", "/friendswatchlists/invites"),
    ],
)
def test_collection_routes_need_identity(client, method, path):
    response = client.open(path, method=method, json={"name": "x", "friendId": str(uuid.uuid4())})
    assert_problem(response, 401)


def test_malformed_identity_is_401(client, cast):
    headers = {"X-User-Id": "not-a-uuid", "X-User-Role": "USER"}
    assert_problem(client.get(f"/friendswatchlists/{cast['active']}", headers=headers), 401)
