"""A list's visibility through the real gateway: anonymous readers open a public list and
not a private one, a friend sees friends lists, and the public figures follow a change."""

from __future__ import annotations

import requests

from tests.e2e.support import befriend, eventually, new_media_id, problem
from tests.helpers import Api


def _list(api: Api, name: str, visibility: str) -> str:
    response = api.post("/watchlists", json={"name": name, "visibility": visibility})
    assert response.status_code == 201, response.text
    return response.json()["listId"]


def _public_total(gateway: str, user_id: str) -> int:
    response = requests.get(f"{gateway}/users/{user_id}/stats", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def _totals_become(gateway: str, user: Api, owner: int, public: int) -> None:
    def check() -> None:
        assert user.get(f"/users/{user.user_id}/stats").json()["total"] == owner
        assert _public_total(gateway, user.user_id) == public

    eventually(check)


def test_anonymous_reads_a_public_list_and_gets_404_for_a_private_one(gateway, user, other):
    public, private = _list(user, "Shown", "public"), _list(user, "Mine", "private")
    friends = _list(user, "Ours", "friends")
    body = {"mediaId": new_media_id(), "status": "watching", "notes": "for me"}
    assert user.post(f"/watchlists/{public}/media", json=body).status_code == 201

    shown = requests.get(f"{gateway}/watchlists/{public}", timeout=10)
    assert shown.status_code == 200, shown.text
    assert shown.json()["name"] == "Shown" and shown.json()["visibility"] == "public"
    assert "notes" not in shown.json()["media"][0]
    page = requests.get(f"{gateway}/watchlists/{public}/media", timeout=10).json()
    assert [e["status"] for e in page["items"]] == ["watching"]
    problem(requests.get(f"{gateway}/watchlists/{private}", timeout=10), 404)
    problem(requests.get(f"{gateway}/watchlists/{friends}/media", timeout=10), 404)
    problem(requests.patch(f"{gateway}/watchlists/{public}", json={"name": "x"}, timeout=10), 401)
    problem(other.patch(f"/watchlists/{public}", json={"name": "x"}), 404)

    anonymous = requests.get(f"{gateway}/users/{user.user_id}/watchlists", timeout=10).json()
    assert [i["listId"] for i in anonymous["items"]] == [public]
    befriend(user, other)
    assert other.get(f"/watchlists/{friends}").status_code == 200
    listed = other.get(f"/users/{user.user_id}/watchlists").json()
    assert [i["listId"] for i in listed["items"]] == [friends, public]
    assert listed["degraded"] is False
    mine = user.get(f"/users/{user.user_id}/watchlists").json()
    assert len(mine["items"]) == 3


def test_the_public_figures_follow_a_lists_visibility(gateway, user):
    list_id = _list(user, "Later public", "private")
    body = {"mediaId": new_media_id(), "status": "watched", "rating": 9}
    assert user.post(f"/watchlists/{list_id}/media", json=body).status_code == 201
    _totals_become(gateway, user, owner=1, public=0)

    patch = user.patch(f"/watchlists/{list_id}", json={"visibility": "public"})
    assert patch.status_code == 200 and patch.json()["visibility"] == "public"
    _totals_become(gateway, user, owner=1, public=1)
    assert user.patch(f"/watchlists/{list_id}", json={"visibility": "unlisted"}).status_code == 200
    _totals_become(gateway, user, owner=1, public=0)
