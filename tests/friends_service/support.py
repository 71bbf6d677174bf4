"""Helpers the friends tests share: sending requests and reading the table directly."""

from __future__ import annotations

import uuid

from tests.helpers import identity


def send(client, caller: uuid.UUID, user_id) -> object:
    """`POST /friends/requests` as `caller`."""
    return client.post("/friends/requests", json={"userId": str(user_id)}, headers=identity(caller))


def send_ok(client, caller: uuid.UUID, user_id: uuid.UUID) -> str:
    """Send a request that must be created; returns its requestId."""
    response = send(client, caller, user_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["requestId"]


def befriend(client, a: uuid.UUID, b: uuid.UUID) -> None:
    """Make `a` and `b` friends through the API."""
    request_id = send_ok(client, a, b)
    response = client.post(f"/friends/requests/{request_id}/accept", headers=identity(b))
    assert response.status_code == 200, response.get_json()


def pair_rows(conn, a: uuid.UUID, b: uuid.UUID) -> list[tuple]:
    """Rows of the pair (either order) as (id, requester_id, state)."""
    return conn.execute(
        "SELECT id, requester_id, state FROM friendships"
        " WHERE (user_low, user_high) IN ((%s, %s), (%s, %s))",
        (a, b, b, a),
    ).fetchall()


def insert_friendship(conn, a: uuid.UUID, b: uuid.UUID, *, pending: bool = False) -> None:
    """A friendship (or `a`'s pending request to `b`) written straight to the database."""
    low, high = sorted((a, b))
    conn.execute(
        "INSERT INTO friendships (id, user_low, user_high, requester_id, state, accepted_at)"
        " VALUES (%s, %s, %s, %s, %s, CASE WHEN %s THEN NULL ELSE clock_timestamp() END)",
        (uuid.uuid4(), low, high, a, "pending" if pending else "accepted", pending),
    )
