"""Two friends following each other's activity through the real gateway: what one does on a
list the other may see shows in the other's feed, privacy changes and ending the friendship
take it away, and a deleted account's activity disappears."""

from __future__ import annotations

import requests

from tests.e2e.support import CASCADE_DEADLINE, befriend, eventually, new_media_id, problem
from tests.helpers import Api, sign_up


def _list(api: Api, visibility: str) -> str:
    response = api.post("/watchlists", json={"name": "Films", "visibility": visibility})
    assert response.status_code == 201, response.text
    return response.json()["listId"]


def _feed(api: Api) -> list[tuple[str, str | None, int | None]]:
    response = api.get("/activity")
    assert response.status_code == 200, response.text
    return [(i["actor"]["displayName"], i["type"], i["mediaId"]) for i in response.json()["items"]]


def _feed_becomes(api: Api, expected: list) -> None:
    def check() -> None:
        assert _feed(api) == expected

    eventually(check)


def test_two_friends_follow_each_others_activity(gateway):
    alice, bob = sign_up(gateway, "Alice"), sign_up(gateway, "Bob")
    befriend(alice, bob)
    film, series = new_media_id(), new_media_id()
    alices, bobs = _list(alice, "friends"), _list(bob, "public")

    assert alice.post(f"/watchlists/{alices}/media", json={"mediaId": film}).status_code == 201
    patch = alice.patch(f"/watchlists/{alices}/media/movie/{film}", json={"status": "watching"})
    assert patch.status_code == 200
    body = {"mediaType": "tv", "mediaId": series, "status": "watched", "rating": 8}
    assert bob.post(f"/watchlists/{bobs}/media", json=body).status_code == 201

    _feed_becomes(bob, [("Alice", "started", film), ("Alice", "added", film)])
    _feed_becomes(alice, [("Bob", "finished", series)])
    [item] = alice.get("/activity").json()["items"]
    assert item["listId"] == bobs and item["mediaType"] == "tv" and item["rating"] == 8

    # one person's activity: all for themself, friends' and public lists for a friend,
    # public lists for anyone, also without a token
    anonymous = requests.get(f"{gateway}/users/{alice.user_id}/activity", timeout=10)
    assert anonymous.status_code == 200 and anonymous.json()["items"] == []
    assert len(bob.get(f"/users/{alice.user_id}/activity").json()["items"]) == 2
    public = requests.get(f"{gateway}/users/{bob.user_id}/activity", timeout=10).json()
    assert [i["mediaId"] for i in public["items"]] == [series]

    # a list made private leaves the feed; made public again, it says so
    assert alice.patch(f"/watchlists/{alices}", json={"visibility": "private"}).status_code == 200
    _feed_becomes(bob, [])
    assert alice.patch(f"/watchlists/{alices}", json={"visibility": "public"}).status_code == 200
    _feed_becomes(
        bob, [("Alice", "listPublic", None), ("Alice", "started", film), ("Alice", "added", film)]
    )

    # the friendship ends: neither feed shows the other any more
    assert bob.delete(f"/friends/{alice.user_id}").status_code == 204
    _feed_becomes(bob, [])
    _feed_becomes(alice, [])


def test_a_deleted_accounts_activity_disappears(gateway):
    alice, bob = sign_up(gateway, "Alice"), sign_up(gateway, "Bob")
    befriend(alice, bob)
    film = new_media_id()
    bobs = _list(bob, "friends")
    assert bob.post(f"/watchlists/{bobs}/media", json={"mediaId": film}).status_code == 201
    _feed_becomes(alice, [("Bob", "added", film)])
    assert bob.delete(f"/auth/users/{bob.user_id}").status_code == 204

    def gone() -> None:
        assert _feed(alice) == []

    eventually(gone, timeout=CASCADE_DEADLINE)
    assert alice.get(f"/users/{bob.user_id}/activity").json()["items"] == []


def test_the_feed_needs_a_token_and_a_person_id_must_be_one(gateway, user):
    problem(requests.get(f"{gateway}/activity", timeout=10), 401)
    problem(user.get("/users/nobody/activity"), 404)
    # only a well-formed person id is let through without a token
    problem(requests.get(f"{gateway}/users/nobody/activity", timeout=10), 401)
