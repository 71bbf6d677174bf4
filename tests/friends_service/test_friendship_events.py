"""Friends service: `friendship-changed` events, queued with the change and relayed to Kafka."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from confluent_kafka import Consumer
from sqlalchemy.orm import Session

from friends_service import worker
from friends_service.events import on_user_deleted
from friends_service.models import db
from servicekit.contract import FRIENDSHIP_CHANGED, USER_DELETED
from servicekit.events import new_event
from servicekit.messages import Event
from tests.helpers import identity

from .support import befriend, insert_friendship, send, send_ok


@pytest.fixture
def alice(make_user):
    return make_user("Alice")


@pytest.fixture
def bob(make_user):
    return make_user("Bob")


def queued(conn, *users: uuid.UUID) -> list[dict]:
    """The unsent `friendship-changed` payloads naming all of `users`, oldest first."""
    rows = conn.execute(
        "SELECT topic, key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id"
    ).fetchall()
    found = []
    for topic, key, payload in rows:
        if all(str(user) in payload["userIds"] for user in users):
            assert topic == FRIENDSHIP_CHANGED
            assert key == ":".join(payload["userIds"])
            found.append(payload)
    return found


def pair(a: uuid.UUID, b: uuid.UUID) -> list[str]:
    return [str(user) for user in sorted((a, b))]


def test_accepting_announces_the_friendship_with_who_accepted(client, friends_db, alice, bob):
    request_id = send_ok(client, alice, bob)
    assert queued(friends_db, alice, bob) == []  # a request is not a friendship
    response = client.post(f"/friends/requests/{request_id}/accept", headers=identity(bob))
    assert response.status_code == 200
    [event] = queued(friends_db, alice, bob)
    assert event["type"] == "friendship.changed"
    assert event["state"] == "friends" and event["actorId"] == str(bob)
    assert event["userIds"] == pair(alice, bob)
    assert {"eventId", "occurredAt"} <= set(event)


def test_asking_back_accepts_and_announces_once(client, friends_db, alice, bob):
    send_ok(client, alice, bob)
    assert send(client, bob, alice).status_code == 200
    [event] = queued(friends_db, alice, bob)
    assert (event["state"], event["actorId"]) == ("friends", str(bob))


def test_unfriending_announces_the_end_and_a_failed_attempt_nothing(client, friends_db, alice, bob):
    befriend(client, alice, bob)
    assert client.delete(f"/friends/{alice}", headers=identity(bob)).status_code == 204
    assert client.delete(f"/friends/{alice}", headers=identity(bob)).status_code == 404
    assert [(e["state"], e.get("actorId")) for e in queued(friends_db, alice, bob)] == [
        ("friends", str(bob)),
        ("ended", str(bob)),
    ]


def test_declined_and_withdrawn_requests_announce_nothing(client, friends_db, alice, bob):
    request_id = send_ok(client, alice, bob)
    assert (
        client.post(f"/friends/requests/{request_id}/decline", headers=identity(bob)).status_code
        == 204
    )
    request_id = send_ok(client, alice, bob)
    assert (
        client.delete(f"/friends/requests/{request_id}", headers=identity(alice)).status_code == 204
    )
    assert queued(friends_db, alice, bob) == []


def test_an_account_deletion_ends_its_friendships_without_an_actor(app, friends_db):
    gone, friend, asked = (uuid.uuid4() for _ in range(3))
    insert_friendship(friends_db, gone, friend)
    insert_friendship(friends_db, gone, asked, pending=True)
    event = Event(USER_DELETED, 0, 1, str(gone), new_event("user.deleted", userId=str(gone)))
    with app.app_context(), Session(db.engine) as session, session.begin():
        assert on_user_deleted(session, [event]) == []
    [ended] = queued(friends_db, gone, friend)
    assert ended["state"] == "ended" and "actorId" not in ended
    assert queued(friends_db, gone, asked) == []


def test_the_worker_publishes_the_announcements(
    client, app, friends_db, alice, bob, kafka_bootstrap, topic_prefix
):
    befriend(client, alice, bob)
    [event] = queued(friends_db, alice, bob)
    reader = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
        }
    )
    reader.subscribe([topic_prefix + FRIENDSHIP_CHANGED])
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(app,), kwargs={"stop": stop, "group_id": f"friends-{uuid.uuid4()}"}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        seen = None
        while seen is None and time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None or message.error():
                continue
            body = json.loads(message.value())
            if body["eventId"] == event["eventId"]:
                seen = (message.key().decode(), body)
        assert seen is not None, "the relay did not publish the event"
        assert seen == (":".join(pair(alice, bob)), event)
    finally:
        stop.set()
        thread.join(20)
        reader.close()
    assert not thread.is_alive()
