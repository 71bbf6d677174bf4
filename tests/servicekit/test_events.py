"""Outbox relay and consumer loop against the real broker and PostgreSQL.

The tables here are a test-only schema built from the kit's table factories, as a
service's migrations would build them.
"""

import json
import threading
import uuid

import psycopg
import pytest
from confluent_kafka import Consumer, Producer
from sqlalchemy import BigInteger, Column, MetaData, Table, create_engine, func, select
from sqlalchemy.orm import Session

from servicekit.consumer import EventConsumer, consumer_config
from servicekit.db import normalise_url
from servicekit.events import (
    add_event,
    dead_letters_table,
    new_event,
    outbox_table,
    processed_events_table,
)
from servicekit.relay import OutboxRelay, producer_config

metadata = MetaData()
outbox = outbox_table(metadata)
processed = processed_events_table(metadata)
dead = dead_letters_table(metadata)
applied = Table("applied", metadata, Column("n", BigInteger, primary_key=True))


@pytest.fixture(scope="module")
def engine(postgres, run_id):
    name = f"t{run_id}_kit"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(normalise_url(f"{postgres}/{name}"))
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def topic(topic_prefix):
    """A fresh contract-like topic name for one test (prefix applied by the kit)."""
    return f"kit-{uuid.uuid4().hex[:8]}"


def read_all(bootstrap, full_topic, expected, timeout=20.0):
    consumer = Consumer(consumer_config(bootstrap, f"reader-{uuid.uuid4()}"))
    consumer.subscribe([full_topic])
    out = []
    import time

    deadline = time.monotonic() + timeout
    while len(out) < expected and time.monotonic() < deadline:
        for msg in consumer.consume(500, 0.5):
            if msg.error() is None:
                out.append((msg.key().decode(), json.loads(msg.value())))
    # a short extra poll catches duplicates that would arrive after the expected count
    for msg in consumer.consume(500, 1.0):
        if msg.error() is None:
            out.append((msg.key().decode(), json.loads(msg.value())))
    consumer.close()
    return out


def relay_for(engine, kafka_bootstrap, topic_prefix, **kwargs):
    producer = Producer(producer_config(kafka_bootstrap))
    return OutboxRelay(engine, outbox, producer, topic_prefix=topic_prefix, **kwargs)


def test_only_committed_events_are_published_and_marked_sent(
    engine, kafka_bootstrap, topic_prefix, topic
):
    with Session(engine) as session, session.begin():
        add_event(session, outbox, topic=topic, key="1", payload=new_event("t", n=1))
    with Session(engine) as session:
        session.begin()
        add_event(session, outbox, topic=topic, key="2", payload=new_event("t", n=2))
        session.rollback()
    relay = relay_for(engine, kafka_bootstrap, topic_prefix)
    while relay.publish_batch():
        pass
    messages = read_all(kafka_bootstrap, topic_prefix + topic, 1)
    assert [(key, body["n"]) for key, body in messages] == [("1", 1)]
    with engine.connect() as conn:
        unsent = conn.execute(
            select(func.count()).where(outbox.c.topic == topic, outbox.c.sent_at.is_(None))
        ).scalar()
    assert unsent == 0


def test_broker_unreachable_keeps_rows_unsent(engine, topic):
    with Session(engine) as session, session.begin():
        add_event(session, outbox, topic=topic, key="k", payload=new_event("t"))
    dead_broker = Producer(producer_config("127.0.0.1:1", **{"message.timeout.ms": 1000}))
    relay = OutboxRelay(engine, outbox, dead_broker)
    assert relay.publish_batch() == 0 and relay.last_failures >= 1
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).where(outbox.c.topic == topic, outbox.c.sent_at.is_(None))
            ).scalar()
            == 1
        )
    # leave nothing behind for other tests' relays
    with engine.begin() as conn:
        conn.execute(outbox.delete().where(outbox.c.topic == topic))


def test_two_relays_at_once_publish_each_row_once(engine, kafka_bootstrap, topic_prefix, topic):
    with Session(engine) as session, session.begin():
        for i in range(3000):
            add_event(session, outbox, topic=topic, key=str(i % 7), payload=new_event("t", n=i))
    relays = [relay_for(engine, kafka_bootstrap, topic_prefix, batch_size=200) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in relays]
    for t in threads:
        t.start()
    messages = read_all(kafka_bootstrap, topic_prefix + topic, 3000)
    stop.set()
    for t in threads:
        t.join()
    ns = [body["n"] for _, body in messages]
    assert sorted(ns) == list(range(3000))
    per_key: dict[str, list[int]] = {}
    for key, body in messages:
        per_key.setdefault(key, []).append(body["n"])
    assert all(values == sorted(values) for values in per_key.values())


def test_an_idle_relay_is_woken_by_the_commit_not_by_polling(
    engine, kafka_bootstrap, topic_prefix, topic
):
    # a fallback poll of an hour: only the commit's NOTIFY can bring the second event out
    relay = relay_for(engine, kafka_bootstrap, topic_prefix, idle_wait_s=3600)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    try:
        with Session(engine) as session, session.begin():
            add_event(session, outbox, topic=topic, key="a", payload=new_event("t", n=1))
        assert len(read_all(kafka_bootstrap, topic_prefix + topic, 1)) == 1  # now it is idle
        with Session(engine) as session, session.begin():
            add_event(session, outbox, topic=topic, key="a", payload=new_event("t", n=2))
        messages = read_all(kafka_bootstrap, topic_prefix + topic, 2)
        assert sorted(body["n"] for _, body in messages) == [1, 2]
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()  # the wait sees `stop` within its half-second slices


def make_consumer(engine, kafka_bootstrap, topic_prefix, topic, handler):
    consumer = Consumer(consumer_config(kafka_bootstrap, f"g-{uuid.uuid4()}"))
    return EventConsumer(
        engine,
        consumer,
        {topic: handler},
        processed=processed,
        dead_letters=dead,
        topic_prefix=topic_prefix,
    )


def drain(loop, expected, rounds=60):
    seen = 0
    for _ in range(rounds):
        seen += loop.poll_once()
        if seen >= expected:
            break
    return seen


def record_handler(session, events):
    session.execute(applied.insert(), [{"n": e.body["n"]} for e in events])
    return [(e, "n is negative") for e in events if e.body["n"] < 0]


def test_consumer_applies_each_event_once_and_dead_letters_poison(
    engine, kafka_bootstrap, topic_prefix, topic
):
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    full = topic_prefix + topic
    event = new_event("t", n=7001)
    for value in [
        json.dumps(event),
        json.dumps(event),
        "{not json",
        json.dumps({"n": 1}),
        json.dumps(new_event("t", n=-7002)),
        json.dumps(new_event("t", n=7003)),
    ]:
        producer.produce(full, key=b"k", value=value.encode())
    producer.flush(10)
    loop = make_consumer(engine, kafka_bootstrap, topic_prefix, topic, record_handler)
    assert drain(loop, 6) == 6
    with engine.connect() as conn:
        ns = set(
            conn.execute(select(applied.c.n).where(applied.c.n.in_([7001, -7002, 7003]))).scalars()
        )
        reasons = conn.execute(
            select(dead.c.reason, dead.c.offset).where(dead.c.topic == full)
        ).all()
    assert ns == {7001, -7002, 7003}
    assert sorted(r.reason for r in reasons) == sorted(
        ["value is not JSON", "value is not an object with a string eventId", "n is negative"]
    )
    assert sorted(r.offset for r in reasons) == [2, 3, 4]


def test_failed_batch_is_rewound_and_applied_later(engine, kafka_bootstrap, topic_prefix, topic):
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in (8001, 8002):
        producer.produce(
            topic_prefix + topic, key=b"k", value=json.dumps(new_event("t", n=n)).encode()
        )
    producer.flush(10)
    calls = {"n": 0}

    def flaky(session, events):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return record_handler(session, events)

    loop = make_consumer(engine, kafka_bootstrap, topic_prefix, topic, flaky)
    with pytest.raises(RuntimeError):
        while not loop.poll_once():
            pass
    drain(loop, 2)
    with engine.connect() as conn:
        ns = set(conn.execute(select(applied.c.n).where(applied.c.n.in_([8001, 8002]))).scalars())
    assert ns == {8001, 8002}


def test_applied_event_ids_older_than_a_week_are_forgotten(engine, kafka_bootstrap, topic_prefix):
    from sqlalchemy import insert, text

    old, recent = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    with engine.begin() as conn:
        conn.execute(
            insert(processed), [{"event_id": old, "topic": "t"}, {"event_id": recent, "topic": "t"}]
        )
        conn.execute(
            text(
                "UPDATE processed_events SET processed_at = now() - interval '8 days' "
                "WHERE event_id = :e"
            ),
            {"e": old},
        )
    loop = make_consumer(engine, kafka_bootstrap, topic_prefix, "unused", record_handler)
    try:
        assert loop.prune_processed() >= 1
    finally:
        loop.close()
    with engine.connect() as conn:
        left = set(
            conn.execute(
                select(processed.c.event_id).where(processed.c.event_id.in_([old, recent]))
            ).scalars()
        )
    assert left == {recent}
