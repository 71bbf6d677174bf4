"""Friends through the gateway: requests, answers, the friend list with display names."""

import uuid

import pytest

from tests.e2e.support import befriend, friend_ids, people, problem, requests_of


def test_an_accepted_request_makes_friends_listed_with_display_names(gateway, user, other):
    sent = user.post("/friends/requests", json={"userId": other.user_id})
    assert sent.status_code == 201 and sent.json()["userId"] == other.user_id
    request_id = sent.json()["requestId"]
    incoming = other.get("/friends/requests").json()["incoming"]
    assert [(r["requestId"], r["userId"], r["displayName"]) for r in incoming] == [
        (request_id, user.user_id, "Alice")
    ]
    outgoing = user.get("/friends/requests").json()["outgoing"]
    assert [(r["userId"], r["displayName"]) for r in outgoing] == [(other.user_id, "Bob")]

    accepted = other.post(f"/friends/requests/{request_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["userId"] == user.user_id
    for me, friend, name in ((user, other, "Bob"), (other, user, "Alice")):
        items = me.get("/friends").json()["items"]
        assert [(f["userId"], f["displayName"]) for f in items] == [(friend.user_id, name)]
        assert items[0]["since"].endswith("Z")
        assert requests_of(me) == {"incoming": set(), "outgoing": set()}


@pytest.mark.parametrize(
    "who, method, action",
    [("addressee", "POST", "/decline"), ("requester", "DELETE", "")],
)
def test_declined_or_withdrawn_request_is_gone_for_both(user, other, who, method, action):
    request_id = user.post("/friends/requests", json={"userId": other.user_id}).json()["requestId"]
    actor = other if who == "addressee" else user
    assert actor.request(method, f"/friends/requests/{request_id}{action}").status_code == 204
    for api in (user, other):
        assert requests_of(api) == {"incoming": set(), "outgoing": set()}
        assert friend_ids(api) == set()
    problem(actor.request(method, f"/friends/requests/{request_id}{action}"), 404)
    assert user.post("/friends/requests", json={"userId": other.user_id}).status_code == 201


@pytest.mark.parametrize("who", ["user", "other"])
def test_either_friend_can_unfriend(user, other, who):
    befriend(user, other)
    leaver, left = (user, other) if who == "user" else (other, user)
    assert leaver.delete(f"/friends/{left.user_id}").status_code == 204
    assert friend_ids(user) == friend_ids(other) == set()
    problem(left.delete(f"/friends/{leaver.user_id}"), 404)


def test_asking_someone_who_asked_you_accepts_their_request(user, other):
    assert user.post("/friends/requests", json={"userId": other.user_id}).status_code == 201
    answer = other.post("/friends/requests", json={"userId": user.user_id})
    assert answer.status_code == 200
    assert answer.json()["userId"] == user.user_id and answer.json()["since"].endswith("Z")
    assert friend_ids(user) == {other.user_id} and friend_ids(other) == {user.user_id}
    assert requests_of(user) == requests_of(other) == {"incoming": set(), "outgoing": set()}


@pytest.mark.parametrize(
    "method, action", [("POST", "/accept"), ("POST", "/decline"), ("DELETE", "")]
)
def test_a_third_user_cannot_act_on_someone_elses_request(gateway, user, other, method, action):
    (stranger,) = people(gateway, "Carol")
    request_id = user.post("/friends/requests", json={"userId": other.user_id}).json()["requestId"]
    problem(stranger.request(method, f"/friends/requests/{request_id}{action}"), 404)
    assert requests_of(other)["incoming"] == {user.user_id}
    assert friend_ids(stranger) == friend_ids(user) == set()


@pytest.mark.parametrize(
    "case, status",
    [("yourself", 422), ("unknown user", 404), ("already asked", 409), ("already friends", 409)],
)
def test_requests_that_cannot_be_sent(user, other, case, status):
    target = {"yourself": user.user_id, "unknown user": str(uuid.uuid4())}.get(case, other.user_id)
    if case == "already asked":
        user.post("/friends/requests", json={"userId": other.user_id})
    if case == "already friends":
        befriend(user, other)
    problem(user.post("/friends/requests", json={"userId": target}), status)


def test_the_addressee_cannot_withdraw_nor_the_requester_accept(user, other):
    request_id = user.post("/friends/requests", json={"userId": other.user_id}).json()["requestId"]
    problem(user.post(f"/friends/requests/{request_id}/accept"), 404)
    problem(other.delete(f"/friends/requests/{request_id}"), 404)
    assert requests_of(other)["incoming"] == {user.user_id}
