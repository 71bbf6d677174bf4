"""Friends service: sending, accepting, declining, withdrawing requests and unfriending."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem, identity

from .support import befriend, pair_rows, send, send_ok


@pytest.fixture
def alice(make_user):
    return make_user("Alice")


@pytest.fixture
def bob(make_user):
    return make_user("Bob")


@pytest.fixture
def carol(make_user):
    return make_user("Carol")


def test_sending_a_request_creates_a_pending_row(client, friends_db, alice, bob):
    response = send(client, alice, bob)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"requestId", "userId", "createdAt"}
    assert body["userId"] == str(bob) and body["createdAt"].endswith("Z")
    assert pair_rows(friends_db, alice, bob) == [(uuid.UUID(body["requestId"]), alice, "pending")]


def test_addressee_accepts_and_both_see_the_friendship(client, alice, bob):
    request_id = send_ok(client, alice, bob)
    response = client.post(f"/friends/requests/{request_id}/accept", headers=identity(bob))
    assert response.status_code == 200
    body = response.get_json()
    assert body["userId"] == str(alice) and body["since"].endswith("Z")
    for me, friend, name in [(alice, bob, "Bob"), (bob, alice, "Alice")]:
        items = client.get("/friends", headers=identity(me)).get_json()["items"]
        assert items == [{"userId": str(friend), "displayName": name, "since": body["since"]}]


def test_asking_someone_who_asked_you_accepts(client, friends_db, alice, bob):
    send_ok(client, alice, bob)
    [request] = client.get("/friends/requests", headers=identity(bob)).get_json()["incoming"]
    response = send(client, bob, alice)
    assert response.status_code == 200
    assert set(response.get_json()) == {"userId", "since"}
    assert response.get_json()["userId"] == str(alice)
    assert response.get_json()["since"] >= request["createdAt"]
    assert [row[2] for row in pair_rows(friends_db, alice, bob)] == ["accepted"]


def test_addressee_declines_and_the_request_is_gone(client, friends_db, alice, bob):
    request_id = send_ok(client, alice, bob)
    response = client.post(f"/friends/requests/{request_id}/decline", headers=identity(bob))
    assert response.status_code == 204
    assert pair_rows(friends_db, alice, bob) == []
    assert send(client, alice, bob).status_code == 201


def test_requester_withdraws(client, friends_db, alice, bob):
    request_id = send_ok(client, alice, bob)
    assert (
        client.delete(f"/friends/requests/{request_id}", headers=identity(alice)).status_code == 204
    )
    assert pair_rows(friends_db, alice, bob) == []


@pytest.mark.parametrize("remover", ["alice", "bob"])
def test_either_friend_can_unfriend(client, friends_db, alice, bob, remover):
    befriend(client, alice, bob)
    me, other = (alice, bob) if remover == "alice" else (bob, alice)
    assert client.delete(f"/friends/{other}", headers=identity(me)).status_code == 204
    assert pair_rows(friends_db, alice, bob) == []
    assert_problem(client.delete(f"/friends/{other}", headers=identity(me)), 404)


def test_unfriending_a_pending_request_or_a_stranger_or_yourself_is_404(client, alice, bob):
    send_ok(client, alice, bob)
    for target in (bob, uuid.uuid4(), alice):
        assert_problem(client.delete(f"/friends/{target}", headers=identity(alice)), 404)


@pytest.mark.parametrize(
    "action",
    [
        ("post", "/friends/requests/{id}/accept"),
        ("post", "/friends/requests/{id}/decline"),
        ("delete", "/friends/requests/{id}"),
    ],
)
def test_third_user_cannot_touch_someone_elses_request(
    client, friends_db, alice, bob, carol, action
):
    request_id = send_ok(client, alice, bob)
    method, path = action
    response = getattr(client, method)(path.format(id=request_id), headers=identity(carol))
    assert_problem(response, 404)
    assert pair_rows(friends_db, alice, bob) == [(uuid.UUID(request_id), alice, "pending")]


@pytest.mark.parametrize(
    "path", ["/friends/requests/{id}/accept", "/friends/requests/{id}/decline"]
)
def test_requester_cannot_answer_own_request(client, friends_db, alice, bob, path):
    request_id = send_ok(client, alice, bob)
    assert_problem(client.post(path.format(id=request_id), headers=identity(alice)), 404)
    assert [row[2] for row in pair_rows(friends_db, alice, bob)] == ["pending"]


def test_addressee_cannot_withdraw_and_nobody_can_touch_an_accepted_friendship(
    client, friends_db, alice, bob
):
    request_id = send_ok(client, alice, bob)
    assert_problem(client.delete(f"/friends/requests/{request_id}", headers=identity(bob)), 404)
    client.post(f"/friends/requests/{request_id}/accept", headers=identity(bob))
    for method, path, who in [
        ("post", f"/friends/requests/{request_id}/accept", bob),
        ("post", f"/friends/requests/{request_id}/decline", bob),
        ("delete", f"/friends/requests/{request_id}", alice),
    ]:
        assert_problem(getattr(client, method)(path, headers=identity(who)), 404)
    assert [row[2] for row in pair_rows(friends_db, alice, bob)] == ["accepted"]


@pytest.mark.parametrize(
    "path",
    [
        "/friends/requests/{unknown}/accept",
        "/friends/requests/{unknown}/decline",
        "/friends/requests/not-a-uuid/accept",
        "/friends/requests/not-a-uuid/decline",
    ],
)
def test_unknown_or_malformed_request_ids_are_404(client, alice, path):
    response = client.post(path.format(unknown=uuid.uuid4()), headers=identity(alice))
    assert_problem(response, 404)


def test_unknown_request_or_bad_ids_on_delete_routes_are_404(client, alice):
    for path in [f"/friends/requests/{uuid.uuid4()}", "/friends/requests/nope", "/friends/nope"]:
        assert_problem(client.delete(path, headers=identity(alice)), 404)


def test_asking_twice_is_409(client, friends_db, alice, bob):
    send_ok(client, alice, bob)
    assert_problem(send(client, alice, bob), 409)
    assert len(pair_rows(friends_db, alice, bob)) == 1


@pytest.mark.parametrize("asker", ["alice", "bob"])
def test_asking_a_friend_is_409(client, friends_db, alice, bob, asker):
    befriend(client, alice, bob)
    me, other = (alice, bob) if asker == "alice" else (bob, alice)
    assert_problem(send(client, me, other), 409)
    assert [row[2] for row in pair_rows(friends_db, alice, bob)] == ["accepted"]


def test_asking_an_unknown_user_is_404_and_stores_nothing(client, friends_db, alice):
    ghost = uuid.uuid4()
    assert_problem(send(client, alice, ghost), 404)
    assert pair_rows(friends_db, alice, ghost) == []


def test_asking_yourself_is_422(client, friends_db, alice):
    body = assert_problem(send(client, alice, alice), 422)
    assert "userId" in body["errors"]
    assert friends_db.execute(
        "SELECT count(*) FROM friendships WHERE requester_id = %s", (alice,)
    ).fetchone() == (0,)


@pytest.mark.parametrize(
    "make_body",
    [
        lambda bob: {"userId": "not-a-uuid"},
        lambda bob: {"userId": 5},
        lambda bob: {"userId": True},
        lambda bob: {"userId": None},
        lambda bob: {"userId": [str(bob)]},
        lambda bob: {},
        lambda bob: {"userId": str(bob), "extra": 1},
        lambda bob: [str(bob)],
        lambda bob: None,
        lambda bob: str(bob),
    ],
)
def test_bad_request_bodies_are_422_and_store_nothing(client, friends_db, alice, bob, make_body):
    response = client.post("/friends/requests", json=make_body(bob), headers=identity(alice))
    assert_problem(response, 422)
    assert pair_rows(friends_db, alice, bob) == []


def test_malformed_json_and_oversized_body_are_problems(client, alice):
    headers = {**identity(alice), "Content-Type": "application/json"}
    assert_problem(client.post("/friends/requests", data="{oops", headers=headers), 400)
    big = '{"userId": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert_problem(client.post("/friends/requests", data=big, headers=headers), 413)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/friends"),
        ("get", "/friends/requests"),
        ("post", "/friends/requests"),
        ("post", "/friends/requests/{id}/accept"),
        ("post", "/friends/requests/{id}/decline"),
        ("delete", "/friends/requests/{id}"),
        ("delete", "/friends/{id}"),
    ],
)
def test_every_route_needs_identity(client, method, path):
    response = getattr(client, method)(path.format(id=uuid.uuid4()), json={})
    assert_problem(response, 401)
