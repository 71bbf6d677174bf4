"""A person's figures through the gateway: /users/{id}/stats reaches the statistics service."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.support import befriend, eventually, new_media_id, problem
from tests.helpers import Api


def person_stats(api: Api, user_id: str) -> dict:
    response = api.get(f"/users/{user_id}/stats")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_persons_figures_follow_their_lists_and_each_reader_sees_their_part(gateway, user, other):
    first, second = new_media_id(), new_media_id()
    listed = user.post("/watchlists", json={"name": "Mine"}).json()["listId"]
    another = user.post("/watchlists", json={"name": "Also mine"}).json()["listId"]
    for list_id in (listed, another):  # one title in two lists counts once
        body = {"mediaId": first, "status": "watched", "rating": 8}
        assert user.post(f"/watchlists/{list_id}/media", json=body).status_code == 201
    body = {"mediaId": second, "status": "watching"}
    assert user.post(f"/watchlists/{listed}/media", json=body).status_code == 201

    def counted() -> dict:
        stats = person_stats(user, user.user_id)
        assert stats["total"] == 2
        return stats

    owner = eventually(counted)
    assert (owner["visibleTo"], owner["statuses"]["watched"], owner["ratingAverage"]) == (
        "owner",
        1,
        8.0,
    )
    assert owner["byType"] == {"movie": 2, "tv": 0}
    assert owner["finishedPerMonth"][-1]["count"] == 1

    stranger = person_stats(other, user.user_id)
    assert (stranger["visibleTo"], stranger["total"], stranger["degraded"]) == ("public", 0, False)
    befriend(user, other)
    friend = person_stats(other, user.user_id)
    assert (friend["visibleTo"], friend["total"]) == ("friends", 0)  # the lists are private
    anonymous = requests.get(f"{gateway}/users/{user.user_id}/stats", timeout=10).json()
    assert (anonymous["visibleTo"], anonymous["total"]) == ("public", 0)


def test_the_user_services_own_paths_are_untouched(gateway, user):
    profile = requests.get(f"{gateway}/users/{user.user_id}", timeout=10)
    assert profile.status_code == 200 and profile.json()["userId"] == user.user_id
    problem(requests.get(f"{gateway}/users/not-a-uuid/stats", timeout=10), 404)
    problem(user.get(f"/users/{uuid.uuid4()}/stats/"), 404)  # not the route: /users's 404
    bad = requests.get(f"{gateway}/users/{uuid.uuid4()}/stats?months=0", timeout=10)
    problem(bad, 422)
