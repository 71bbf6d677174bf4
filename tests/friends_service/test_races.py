"""Friends service under concurrent requests, and the pair rule held by the database itself."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from tests.helpers import identity

from .support import insert_friendship, pair_rows, send_ok

PAIRS = 20


@pytest.fixture
def friends_url(app, live_server):
    """The friends service over real HTTP (threaded), so requests truly overlap."""
    return live_server(app).url


def race(*calls):
    """Run the calls at the same instant on separate threads; returns their statuses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, call) for call in calls]]


def post_request(url, caller, user_id):
    return lambda: (
        requests.post(
            f"{url}/friends/requests",
            json={"userId": str(user_id)},
            headers=identity(caller),
            timeout=10,
        ).status_code
    )


def test_opposite_requests_at_once_end_as_one_friendship(friends_url, friends_db, make_user):
    for _ in range(PAIRS):
        a, b = make_user("A"), make_user("B")
        statuses = race(post_request(friends_url, a, b), post_request(friends_url, b, a))
        assert sorted(statuses) == [200, 201]
        assert [row[2] for row in pair_rows(friends_db, a, b)] == ["accepted"]


def test_the_same_request_twice_at_once_is_one_request_and_one_409(
    friends_url, friends_db, make_user
):
    for _ in range(PAIRS // 2):
        a, b = make_user("A"), make_user("B")
        statuses = race(post_request(friends_url, a, b), post_request(friends_url, a, b))
        assert sorted(statuses) == [201, 409]
        assert [row[2] for row in pair_rows(friends_db, a, b)] == ["pending"]


def call(method, url, caller):
    """A request to run later in a race; returns its status."""
    return lambda: requests.request(method, url, headers=identity(caller), timeout=10).status_code


def test_accept_racing_withdraw_has_one_winner(client, friends_url, friends_db, make_user):
    for _ in range(PAIRS // 2):
        a, b = make_user("A"), make_user("B")
        request_id = send_ok(client, a, b)
        accept, withdraw = race(
            call("POST", f"{friends_url}/friends/requests/{request_id}/accept", b),
            call("DELETE", f"{friends_url}/friends/requests/{request_id}", a),
        )
        states = [row[2] for row in pair_rows(friends_db, a, b)]
        assert (accept, withdraw, states) in [(200, 404, ["accepted"]), (404, 204, [])]


@pytest.mark.parametrize(
    "other_side, status, state", [("commit", 200, "accepted"), ("rollback", 201, "pending")]
)
def test_request_waiting_on_an_uncommitted_opposite_request_decides_after_it(
    friends_url, friends_db, create_database, make_user, other_side, status, state
):
    a, b = make_user("A"), make_user("B")
    with psycopg.connect(create_database("friends_service")) as tx:
        insert_friendship(tx, a, b, pending=True)
        with ThreadPoolExecutor(1) as pool:
            sent = pool.submit(post_request(friends_url, b, a))
            deadline = time.monotonic() + 5
            while not _someone_waits_on_a_lock(friends_db):
                assert time.monotonic() < deadline, "the second INSERT never waited"
                time.sleep(0.02)
            getattr(tx, other_side)()
            assert sent.result() == status
    assert [row[2] for row in pair_rows(friends_db, a, b)] == [state]


def _someone_waits_on_a_lock(conn) -> bool:
    return (
        conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        > 0
    )


@pytest.mark.parametrize(
    "statement",
    [
        # B-A beside an existing A-B: the reversed pair breaks the canonical order.
        "INSERT INTO friendships (id, user_low, user_high, requester_id)"
        " VALUES (%(id)s, %(high)s, %(low)s, %(high)s)",
        # A-B twice: the pair is unique.
        "INSERT INTO friendships (id, user_low, user_high, requester_id)"
        " VALUES (%(id)s, %(low)s, %(high)s, %(high)s)",
        # A requester outside the pair.
        "UPDATE friendships SET requester_id = %(id)s WHERE user_low = %(low)s",
        # Accepted without a since.
        "UPDATE friendships SET state = 'accepted', accepted_at = NULL WHERE user_low = %(low)s",
        # A state the service does not know.
        "UPDATE friendships SET state = 'blocked' WHERE user_low = %(low)s",
    ],
)
def test_database_refuses_rows_that_break_the_pair_rules(friends_db, statement):
    low, high = sorted((uuid.uuid4(), uuid.uuid4()))
    insert_friendship(friends_db, low, high)
    with pytest.raises(psycopg.errors.IntegrityError):
        friends_db.execute(statement, {"id": uuid.uuid4(), "low": low, "high": high})
    assert len(pair_rows(friends_db, low, high)) == 1
