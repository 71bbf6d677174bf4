"""A relay that dies between publishing and marking: run as a child process by the suite.

`python -m tests.faults.stalling_relay` with a service's environment (DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_PREFIX). It runs the kit's real
`OutboxRelay.publish_batch` once, with a producer whose `flush` returns normally (every
delivery report in: the broker acknowledged the batch) and then prints
`acknowledged <ok> failed <failed>` and sleeps, so the relay's transaction is still
open and the rows are still unsent when the test SIGKILLs this process. PostgreSQL then
rolls the UPDATE back with the dead connection: the rows stay unsent, the events are on
the topic — exactly a crash between the two steps.
"""

from __future__ import annotations

import os
import sys
import time

from confluent_kafka import Producer
from sqlalchemy import create_engine

from servicekit.db import normalise_url
from servicekit.relay import OutboxRelay, producer_config


class _AcknowledgeThenHang:
    """Wraps the real producer; after a complete flush it reports and never returns."""

    def __init__(self, producer: Producer):
        self._producer = producer
        self.acknowledged = 0
        self.failed = 0

    def produce(self, topic, *, key, value, on_delivery):
        def report(err, msg):
            if err:
                self.failed += 1
            else:
                self.acknowledged += 1
            on_delivery(err, msg)

        self._producer.produce(topic, key=key, value=value, on_delivery=report)

    def poll(self, timeout):
        return self._producer.poll(timeout)

    def flush(self, timeout):
        remaining = self._producer.flush(timeout)
        print(f"acknowledged {self.acknowledged} failed {self.failed} pending {remaining}")
        sys.stdout.flush()
        while True:  # the SIGKILL lands here, before the relay marks the rows sent
            time.sleep(60)


class RelayKilledBeforeMarking(OutboxRelay):
    """The kit's relay, publishing through a producer that hangs after the broker's acks."""

    def __init__(self, engine, outbox, producer, **kwargs):
        super().__init__(engine, outbox, _AcknowledgeThenHang(producer), **kwargs)


def main(package: str) -> None:
    import importlib

    outbox = importlib.import_module(f"{package}.models").outbox
    engine = create_engine(normalise_url(os.environ["DATABASE_URL"]))
    producer = Producer(producer_config(os.environ["KAFKA_BOOTSTRAP_SERVERS"]))
    relay = RelayKilledBeforeMarking(
        engine, outbox, producer, topic_prefix=os.environ.get("KAFKA_TOPIC_PREFIX", "")
    )
    relay.publish_batch()
    print("publish_batch returned: nothing to publish?")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "watchlist_service")
