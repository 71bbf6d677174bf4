"""Friends service: `user-deleted` removes every friendship and request of the user."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from confluent_kafka import Producer
from sqlalchemy.orm import Session

from friends_service import worker
from friends_service.events import on_user_deleted
from friends_service.models import db
from servicekit.contract import USER_DELETED
from servicekit.events import new_event
from servicekit.messages import Event

from .support import insert_friendship, pair_rows


def user_deleted(user_id) -> dict:
    return new_event("user.deleted", userId=str(user_id))


@pytest.fixture
def gone_and_kept(friends_db):
    """A user with a friend, an outgoing and an incoming request; and an unrelated pair."""
    gone, friend, asked, asker = (uuid.uuid4() for _ in range(4))
    insert_friendship(friends_db, gone, friend)
    insert_friendship(friends_db, gone, asked, pending=True)
    insert_friendship(friends_db, asker, gone, pending=True)
    insert_friendship(friends_db, friend, asker)
    return gone, [friend, asked, asker], (friend, asker)


def test_handler_deletes_all_rows_of_the_user_and_refuses_bad_events(
    app, friends_db, gone_and_kept
):
    gone, others, kept = gone_and_kept
    good = Event(USER_DELETED, 0, 1, str(gone), user_deleted(gone))
    bad = Event(USER_DELETED, 0, 2, None, {**user_deleted(gone), "userId": "nope"})
    missing = Event(USER_DELETED, 0, 3, None, {"eventId": "x", "type": "user.deleted"})
    with app.app_context(), Session(db.engine) as session, session.begin():
        refused = on_user_deleted(session, [good, bad, missing])
    assert [event for event, _ in refused] == [bad, missing]
    assert all(pair_rows(friends_db, gone, other) == [] for other in others)
    assert len(pair_rows(friends_db, *kept)) == 1


def wait_for(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_worker_applies_user_deleted_from_kafka_once_and_dead_letters_garbage(
    app, friends_db, gone_and_kept, kafka_bootstrap, topic_prefix
):
    gone, others, kept = gone_and_kept
    event = user_deleted(gone)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    topic = topic_prefix + USER_DELETED
    for value in [json.dumps(event), json.dumps(event), "not json"]:
        producer.produce(topic, key=str(gone), value=value.encode())
    assert producer.flush(10) == 0
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(app,), kwargs={"stop": stop, "group_id": f"friends-{uuid.uuid4()}"}
    )
    thread.start()
    try:
        wait_for(
            lambda: (
                friends_db.execute(
                    "SELECT count(*) FROM dead_letters WHERE value = 'not json' AND topic = %s",
                    (topic,),
                ).fetchone()[0]
                == 1
            )
        )
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    assert all(pair_rows(friends_db, gone, other) == [] for other in others)
    assert len(pair_rows(friends_db, *kept)) == 1
    processed = friends_db.execute(
        "SELECT count(*) FROM processed_events WHERE event_id = %s", (event["eventId"],)
    ).fetchone()[0]
    assert processed == 1
