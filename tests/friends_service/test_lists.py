"""Friends service: the friends list and pending requests, with names from the user service."""

from __future__ import annotations

import time
import uuid

import pytest

from devstack.ports import free_port
from tests.helpers import assert_problem, identity

from .support import befriend, insert_friendship, pair_rows, send, send_ok

BATCH_PATH = "/internal/users"


def walk(client, user_id, limit):
    """Every page of `GET /friends`; returns (items, pages)."""
    items, pages, cursor = [], 0, None
    while True:
        url = f"/friends?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=identity(user_id))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit and body["degraded"] is False
        items += body["items"]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            return items, pages


def test_friends_list_pages_by_since_without_gaps_or_repeats(client, friends_db, make_user):
    me = make_user("Me")
    friends = [make_user(f"Friend{i}") for i in range(7)]
    for friend in friends:
        insert_friendship(friends_db, me, friend)
    items, pages = walk(client, me, limit=3)
    assert [item["userId"] for item in items] == [str(f) for f in friends]
    assert [item["displayName"] for item in items] == [f"Friend{i}" for i in range(7)]
    assert pages == 3
    assert [i["since"] for i in items] == sorted(i["since"] for i in items)


def test_pending_requests_are_not_friends(client, make_user):
    me, other = make_user(), make_user()
    send_ok(client, me, other)
    body = client.get("/friends", headers=identity(me)).get_json()
    assert body == {"items": [], "nextCursor": None, "degraded": False}


def test_one_batch_call_to_the_user_service_per_page(client, friends_db, make_user, user_service):
    me = make_user("Me")
    for i in range(60):
        insert_friendship(friends_db, me, make_user(f"F{i}"))
    for limit, expected_calls in [(50, 1), (100, 1), (200, 1)]:
        user_service.counter.reset()
        body = client.get(f"/friends?limit={limit}", headers=identity(me)).get_json()
        assert len(body["items"]) == min(limit, 60)
        assert all(item["displayName"] for item in body["items"])
        assert user_service.counter.calls_to(BATCH_PATH) == expected_calls
        assert len(user_service.counter.paths) == expected_calls


def test_a_page_over_100_friends_takes_ceil_n_over_100_calls(
    client, friends_db, make_user, user_service
):
    me = make_user("Me")
    # Friends without profiles: the lookup simply finds no name for them.
    for _ in range(150):
        insert_friendship(friends_db, me, uuid.uuid4())
    user_service.counter.reset()
    body = client.get("/friends?limit=200", headers=identity(me)).get_json()
    assert len(body["items"]) == 150 and body["degraded"] is False
    assert {item["displayName"] for item in body["items"]} == {None}
    assert user_service.counter.calls_to(BATCH_PATH) == 2


def test_requests_list_shows_both_directions_with_names_in_one_call(
    client, make_user, user_service
):
    me, asker, asked = make_user("Me"), make_user("Asker"), make_user("Asked")
    incoming_id = send_ok(client, asker, me)
    outgoing_id = send_ok(client, me, asked)
    user_service.counter.reset()
    body = client.get("/friends/requests", headers=identity(me)).get_json()
    assert user_service.counter.calls_to(BATCH_PATH) == 1
    assert body["degraded"] is False
    [incoming], [outgoing] = body["incoming"], body["outgoing"]
    assert incoming["requestId"] == incoming_id and incoming["userId"] == str(asker)
    assert incoming["displayName"] == "Asker" and incoming["createdAt"].endswith("Z")
    assert outgoing["requestId"] == outgoing_id and outgoing["userId"] == str(asked)
    assert outgoing["displayName"] == "Asked"
    other_view = client.get("/friends/requests", headers=identity(asker)).get_json()
    assert [r["requestId"] for r in other_view["outgoing"]] == [incoming_id]
    assert other_view["incoming"] == []


def test_accepted_requests_leave_the_requests_list(client, make_user):
    me, other = make_user(), make_user()
    befriend(client, other, me)
    body = client.get("/friends/requests", headers=identity(me)).get_json()
    assert body["incoming"] == [] and body["outgoing"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=abc", "cursor=garbage", "cursor=WyJ4IiwieSJd"]
)
def test_bad_paging_arguments_are_422(client, make_user, query):
    body = assert_problem(client.get(f"/friends?{query}", headers=identity(make_user())), 422)
    assert body["errors"]


@pytest.fixture(params=["stopped", "frozen"])
def unavailable_user_service(request, slow_server):
    """The URL of a user service that is down (closed port) or hangs (answers after 3 s)."""
    return f"http://127.0.0.1:{free_port()}" if request.param == "stopped" else slow_server


def test_lists_degrade_quickly_when_user_service_is_unavailable(
    friends_app, friends_db, unavailable_user_service
):
    client = friends_app(unavailable_user_service).test_client()
    me, friend, asker = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    insert_friendship(friends_db, me, friend)
    insert_friendship(friends_db, asker, me, pending=True)
    bodies = {}
    for path in ["/friends", "/friends/requests"]:
        started = time.monotonic()
        response = client.get(path, headers=identity(me))
        elapsed = time.monotonic() - started
        assert response.status_code == 200 and elapsed < 1.5, (path, elapsed)
        bodies[path] = response.get_json()
        assert bodies[path]["degraded"] is True
    [friend_item] = bodies["/friends"]["items"]
    assert friend_item["userId"] == str(friend) and friend_item["displayName"] is None
    [incoming] = bodies["/friends/requests"]["incoming"]
    assert incoming["userId"] == str(asker) and incoming["displayName"] is None


def test_sending_while_user_service_is_unavailable_is_503_and_stores_nothing(
    friends_app, friends_db, unavailable_user_service
):
    client = friends_app(unavailable_user_service).test_client()
    me, other = uuid.uuid4(), uuid.uuid4()
    assert_problem(send(client, me, other), 503)
    assert pair_rows(friends_db, me, other) == []


def test_openapi_document_lists_routes(client):
    doc = client.get("/friends/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ["/friends", "/friends/requests", "/friends/requests/{request_id}/accept"]:
        assert path in doc["paths"]


def test_health_and_metrics(client):
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"]
    assert b"flask_http_request" in client.get("/metrics").data
