"""Shared lists through the gateway: invites, membership, members editing, leaving, hand-over."""

import uuid

import pytest

from tests.e2e.support import (
    add_media,
    befriend,
    new_media_id,
    people,
    personal_list,
    problem,
    shared_list,
    stats_become,
)


@pytest.fixture
def friends(user, other):
    """Alice and Bob, friends."""
    befriend(user, other)
    return user, other


def person(api, name):
    return {"userId": api.user_id, "displayName": name}


def overview(api) -> dict:
    response = api.get("/friendswatchlists")
    assert response.status_code == 200, response.text
    return response.json()


def test_invite_accept_and_both_edit_the_media(friends):
    alice, bob = friends
    invite = {"name": "Movie night", "friendId": bob.user_id}
    created = alice.post("/friendswatchlists", json=invite)
    assert created.status_code == 201
    body = created.json()
    list_id, path = body["listId"], f"/friendswatchlists/{body['listId']}"
    assert body["state"] == "pending" and body["owner"] == person(alice, "Alice")
    assert body["member"] is None

    invites = bob.get("/friendswatchlists/invites").json()["items"]
    assert [(i["listId"], i["name"], i["owner"]) for i in invites] == [
        (list_id, "Movie night", person(alice, "Alice"))
    ]
    assert overview(bob)["pendingInvites"] == 1 and overview(bob)["items"] == []
    assert overview(alice)["pendingInvites"] == 0
    problem(bob.get(path), 404)  # an invitee does not see the list yet

    accepted = bob.post(f"{path}/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "active"
    assert accepted.json()["member"] == person(bob, "Bob")
    assert bob.get("/friendswatchlists/invites").json()["items"] == []
    assert overview(bob)["pendingInvites"] == 0

    hers, his = new_media_id(), new_media_id()
    add_media(alice, path, hers, status="watching")
    add_media(bob, path, his, rating=6)
    assert bob.patch(f"{path}/media/{hers}", json={"status": "watched"}).status_code == 200
    assert alice.patch(f"{path}/media/{his}", json={"rating": None}).status_code == 200
    problem(bob.post(f"{path}/media", json={"mediaId": hers}), 409)
    renamed = bob.patch(path, json={"name": "Film club"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Film club"

    for api in (alice, bob):
        detail = api.get(path).json()
        assert detail["name"] == "Film club"
        media = {m["mediaId"]: (m["status"], m["rating"]) for m in detail["media"]}
        assert media == {hers: ("watched", None), his: ("added", None)}
        (summary,) = [i for i in overview(api)["items"] if i["listId"] == list_id]
        assert summary["owner"] == person(alice, "Alice")
        assert summary["member"] == person(bob, "Bob") and summary["state"] == "active"


def test_a_member_who_leaves_loses_the_list_and_the_owner_keeps_it(friends):
    alice, bob = friends
    path = f"/friendswatchlists/{shared_list(alice, bob)}"
    assert bob.post(f"{path}/leave").status_code == 204
    problem(bob.get(path), 404)
    problem(bob.post(f"{path}/media", json={"mediaId": 1}), 404)
    detail = alice.get(path).json()
    assert detail["owner"]["userId"] == alice.user_id and detail["member"] is None


def test_a_leaving_owner_hands_the_list_to_the_member(friends):
    alice, bob = friends
    path = f"/friendswatchlists/{shared_list(alice, bob)}"
    media = new_media_id()
    add_media(alice, path, media)
    assert alice.post(f"{path}/leave").status_code == 204
    problem(alice.get(path), 404)
    detail = bob.get(path).json()
    assert detail["owner"] == person(bob, "Bob") and detail["member"] is None
    assert [m["mediaId"] for m in detail["media"]] == [media]


def test_a_list_left_with_nobody_is_deleted(friends):
    alice, bob = friends
    list_id = shared_list(alice, bob)
    path = f"/friendswatchlists/{list_id}"
    assert bob.post(f"{path}/leave").status_code == 204
    assert alice.post(f"{path}/leave").status_code == 204
    for api in (alice, bob):
        problem(api.get(path), 404)
        assert list_id not in {i["listId"] for i in overview(api)["items"]}


def test_a_declined_invite_removes_the_pending_list(friends):
    alice, bob = friends
    created = alice.post("/friendswatchlists", json={"name": "No", "friendId": bob.user_id})
    path = f"/friendswatchlists/{created.json()['listId']}"
    assert bob.post(f"{path}/decline").status_code == 204
    problem(alice.get(path), 404)
    assert overview(bob)["pendingInvites"] == 0


@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "Mine"}),
        ("DELETE", "", None),
        ("POST", "/accept", None),
        ("POST", "/leave", None),
        ("POST", "/media", {"mediaId": 3}),
    ],
)
def test_a_stranger_gets_404_for_a_shared_list(gateway, friends, method, suffix, body):
    alice, bob = friends
    (carol,) = people(gateway, "Carol")
    list_id = shared_list(alice, bob)
    problem(carol.request(method, f"/friendswatchlists/{list_id}{suffix}", json=body), 404)
    detail = alice.get(f"/friendswatchlists/{list_id}").json()
    assert detail["name"] == "Together" and detail["member"]["userId"] == bob.user_id
    assert detail["media"] == []


@pytest.mark.parametrize("friend, status", [("self", 422), ("unknown", 404)])
def test_a_list_needs_someone_else_who_exists(user, friend, status):
    friend_id = user.user_id if friend == "self" else str(uuid.uuid4())
    problem(user.post("/friendswatchlists", json={"name": "x", "friendId": friend_id}), status)


def test_only_the_owner_deletes_a_shared_list(friends):
    alice, bob = friends
    path = f"/friendswatchlists/{shared_list(alice, bob)}"
    problem(bob.delete(path), 403)
    assert alice.delete(path).status_code == 204
    problem(bob.get(path), 404)


def test_three_friends_share_a_list_and_the_owner_hands_it_over(gateway, friends):
    alice, bob = friends
    (carol,) = people(gateway, "Carol")
    befriend(alice, carol)
    body = {"name": "Trio", "friendIds": [bob.user_id, carol.user_id]}
    created = alice.post("/friendswatchlists", json=body)
    assert created.status_code == 201, created.text
    path = f"/friendswatchlists/{created.json()['listId']}"
    assert sorted((m["userId"], m["state"]) for m in created.json()["members"]) == sorted(
        [(bob.user_id, "invited"), (carol.user_id, "invited")]
    )
    for api in (carol, bob):  # Carol answers first
        assert [i["name"] for i in api.get("/friendswatchlists/invites").json()["items"]] == [
            "Trio"
        ]
        assert api.post(f"{path}/accept").status_code == 200
    detail = alice.get(path).json()
    assert detail["member"] == person(carol, "Carol") and detail["state"] == "active"
    assert [(m["displayName"], m["state"]) for m in detail["members"]] == [
        ("Carol", "active"),
        ("Bob", "active"),
    ]

    # Every member edits; a title Bob also holds alone counts for two people until he owns both.
    shared_title = new_media_id()
    add_media(bob, f"/watchlists/{personal_list(bob)}", shared_title)
    add_media(carol, path, shared_title)
    assert alice.patch(f"{path}/media/movie/{shared_title}", json={"rating": 7}).status_code == 200
    stats_become(gateway, shared_title, {"added": 2, "ratingCount": 1})

    handed = alice.post(f"{path}/owner", json={"userId": bob.user_id})
    assert handed.status_code == 200, handed.text
    assert handed.json()["owner"] == person(bob, "Bob")
    assert [m["displayName"] for m in handed.json()["members"]] == ["Alice", "Carol"]
    stats_become(gateway, shared_title, {"added": 1, "ratingCount": 1})
    problem(alice.delete(path), 403)
    problem(alice.post(f"{path}/owner", json={"userId": carol.user_id}), 403)

    assert bob.delete(f"{path}/members/{carol.user_id}").status_code == 204
    problem(carol.get(path), 404)
    problem(carol.patch(f"{path}/media/movie/{shared_title}", json={"rating": 1}), 404)
    assert [m["displayName"] for m in bob.get(path).json()["members"]] == ["Alice"]
