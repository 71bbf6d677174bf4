"""KafkaBroker runs a real single-node KRaft broker from the Maven-resolved jars."""

from __future__ import annotations

import time
import uuid

import pytest

from devstack.kafka import KafkaBroker, java_binary, libs_present
from devstack.ports import free_port
from devstack.stack import REPO_ROOT
from tests.infra.support import assert_nothing_left

LIBS = REPO_ROOT / "var" / "cache" / "kafka-libs"

pytestmark = pytest.mark.skipif(
    not java_binary() or not libs_present(LIBS),
    reason="no java or no Kafka jars (run `make setup` with Java 17 and Maven installed)",
)


def test_broker_delivers_a_produced_message_and_stops_cleanly(short_tmp):
    from confluent_kafka import Consumer, Producer

    broker = KafkaBroker(short_tmp / "kafka", free_port(), free_port(), LIBS)
    broker.start(timeout=90)
    try:
        topic = f"probe-{uuid.uuid4().hex[:8]}"
        broker.create_topics([topic], partitions=3)
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        producer.produce(topic, key="42", value=b'{"hello": "kafka"}')
        assert producer.flush(10) == 0
        consumer = Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": "infra-test",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([topic])
        try:
            received = None
            deadline = time.monotonic() + 30
            while received is None and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None and not message.error():
                    received = message
        finally:
            consumer.close()
        assert received is not None, "message not consumed within 30 s"
        assert (received.key(), received.value()) == (b"42", b'{"hello": "kafka"}')
    finally:
        pid = broker.process.pid
        broker.stop()
    assert_nothing_left(pid)
    assert not broker.is_ready(timeout=0.5)


def test_cluster_ids_never_look_like_an_option():
    from devstack.kafka import new_cluster_id

    ids = [new_cluster_id() for _ in range(2000)]  # about 1 in 64 raw ids starts with "-"
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
