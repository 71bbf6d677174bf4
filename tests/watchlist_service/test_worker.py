"""Watchlist service: the worker process and the relay under concurrency, on the real broker."""

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid

from confluent_kafka import Producer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicekit.contract import MEDIA_ENTRY_CHANGED, USER_DELETED
from servicekit.events import add_events, new_event
from servicekit.relay import OutboxRelay, producer_config
from servicekit.worker import run_worker
from tests.watchlist_service.support import Caller, read_topic
from watchlist_service import create_app
from watchlist_service.models import WatchList, db, outbox
from watchlist_service.worker import parts


def wait_for(condition, timeout_s: float = 30.0, what: str = "condition"):
    """Poll until `condition()` is truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_consumes_user_deleted_and_publishes_removals(
    app, client, media_id, kafka_bootstrap, topic_prefix
):
    owner = Caller(client)
    list_id, mid = owner.new_list(), media_id()
    owner.add(list_id, mid, status="watching", rating=8)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    body = new_event("user.deleted", userId=str(owner.user_id))
    topic = topic_prefix + USER_DELETED
    producer.produce(topic, key=str(owner.user_id), value=json.dumps(body).encode())
    assert producer.flush(10) == 0
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker,
        args=(app, *parts()),
        kwargs={"stop": stop},
    )
    worker.start()
    try:
        wait_for(lambda: not _lists_of(app, owner.user_id), what="the user's lists to go")
        wait_for(lambda: _all_sent(app, list_id), what="the relay to publish the removal")
    finally:
        stop.set()
        worker.join(30)
    events = read_topic(kafka_bootstrap, topic_prefix + MEDIA_ENTRY_CHANGED)
    mine = [(e["before"], e["after"]) for e in events if e.get("listId") == list_id]
    watching_8 = {
        "status": "watching",
        "rating": 8,
        "timesWatched": 0,
        "userId": str(owner.user_id),
        "visibility": "private",
    }
    assert mine == [(None, watching_8), (watching_8, None)]


def test_worker_process_starts_relay_and_consumer_and_stops_on_sigterm(
    create_database, service_env
):
    env = {**os.environ, **service_env, "DATABASE_URL": create_database("watchlist_service")}
    env["WLT_LOG_LEVEL"] = "INFO"
    process = subprocess.Popen(
        [sys.executable, "-m", "watchlist_service.worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "worker started" in line:
                break
        assert "relay, consumer" in "".join(lines), "".join(lines)[-2000:]
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_two_relays_never_publish_a_row_twice(create_database, service_env, kafka_bootstrap):
    url = create_database("watchlist_service", "_relays_" + secrets.token_hex(3))
    app = create_app({**service_env, "DATABASE_URL": url})
    prefix = f"relays{secrets.token_hex(3)}."
    backlog = 3000
    with app.app_context():
        engine = db.engine
    with Session(engine) as session, session.begin():
        add_events(
            session,
            outbox,
            [
                {
                    "topic": MEDIA_ENTRY_CHANGED,
                    "key": str(i),
                    "payload": new_event("media.entry_changed", mediaId=i),
                }
                for i in range(1, backlog + 1)
            ],
        )
    published = [0, 0]

    def drain(slot: int) -> None:
        relay = OutboxRelay(
            engine,
            outbox,
            Producer(producer_config(kafka_bootstrap)),
            topic_prefix=prefix,
            batch_size=250,
        )
        while _unsent(engine):
            published[slot] += relay.publish_batch()

    threads = [threading.Thread(target=drain, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(published) == backlog
    ids = [e["eventId"] for e in read_topic(kafka_bootstrap, prefix + MEDIA_ENTRY_CHANGED)]
    assert len(ids) == backlog and len(set(ids)) == backlog


def _unsent(engine) -> int:
    with engine.connect() as conn:
        unsent = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return conn.scalar(unsent)


def _lists_of(app, owner_id: uuid.UUID) -> list:
    with app.app_context():
        return db.session.scalars(select(WatchList.id).where(WatchList.owner_id == owner_id)).all()


def _all_sent(app, list_id: str) -> bool:
    with app.app_context():
        rows = db.session.execute(
            select(outbox.c.sent_at).where(outbox.c.payload["listId"].astext == list_id)
        ).all()
    return len(rows) == 2 and all(row.sent_at is not None for row in rows)
