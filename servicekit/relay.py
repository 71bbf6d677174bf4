"""The outbox relay: publishes committed outbox rows and marks them sent once acknowledged.

One relay publishes at a time per database (a transaction-scoped advisory lock), so
events leave in commit order and a second replica waits instead of publishing a row
twice; `FOR UPDATE SKIP LOCKED` keeps that true even without the lock. A row is marked
sent only after its delivery report; a crash between the two republishes it, and
consumers absorb the duplicate by `eventId`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from prometheus_client import Counter
from sqlalchemy import Engine, Row, Table, Text, delete, func, select, text, update

log = logging.getLogger(__name__)

PUBLISHED = Counter("wlt_outbox_published_total", "Outbox rows published", ["topic"])
PUBLISH_FAILURES = Counter("wlt_outbox_publish_failures_total", "Failed deliveries")

_RELAY_LOCK_ID = 0x0B0C5  # any constant: one relay per service database at a time


def producer_config(bootstrap: str, **overrides: Any) -> dict[str, Any]:
    """An idempotent producer: acks from all replicas, ordered retries per partition."""
    config = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "compression.type": "lz4",
        "message.timeout.ms": 10000,
        "queue.buffering.max.messages": 200000,
    }
    config.update(overrides)
    return config


class OutboxRelay:
    """Drains one service's outbox to Kafka."""

    def __init__(
        self,
        engine: Engine,
        outbox: Table,
        producer: Producer,
        *,
        topic_prefix: str = "",
        batch_size: int = 2000,
        idle_sleep_s: float = 0.05,
        keep_sent_s: int = 3600,
    ):
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._prefix = topic_prefix
        self._batch = batch_size
        self._idle_sleep = idle_sleep_s
        self._keep_sent_s = keep_sent_s
        self._last_cleanup = 0.0
        self.last_failures = 0

    def publish_batch(self) -> int:
        """Publish up to one batch of unsent rows; returns how many the broker acknowledged."""
        ob = self._outbox
        with self._engine.begin() as conn:
            if not conn.execute(select(func.pg_try_advisory_xact_lock(_RELAY_LOCK_ID))).scalar():
                return 0
            rows = conn.execute(
                # the stored JSON text as is: decoding and re-encoding it cost a quarter of a drain
                select(ob.c.id, ob.c.topic, ob.c.key, ob.c.payload.cast(Text).label("payload"))
                .where(ob.c.sent_at.is_(None))
                .order_by(ob.c.id)
                .limit(self._batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            delivered: list[int] = []
            failed: list[int] = []

            def report(row_id: int) -> Callable[[KafkaError | None, Message], None]:
                def on_delivery(err: KafkaError | None, _msg: Message) -> None:
                    (failed if err else delivered).append(row_id)

                return on_delivery

            for row in rows:
                self._produce(row, report(row.id))
            self._producer.flush(15)
            if delivered:
                conn.execute(update(ob).where(ob.c.id.in_(delivered)).values(sent_at=func.now()))
                topics = {row.id: row.topic for row in rows}
                for row_id in delivered:
                    PUBLISHED.labels(topics[row_id]).inc()
            self.last_failures = len(rows) - len(delivered)
            if failed:
                PUBLISH_FAILURES.inc(len(failed))
                conn.execute(
                    update(ob).where(ob.c.id.in_(failed)).values(attempts=ob.c.attempts + 1)
                )
        return len(delivered)

    def _produce(
        self, row: Row[Any], on_delivery: Callable[[KafkaError | None, Message], None]
    ) -> None:
        value = row.payload.encode()
        while True:
            try:
                self._producer.produce(
                    self._prefix + row.topic,
                    key=row.key.encode(),
                    value=value,
                    on_delivery=on_delivery,
                )
                return
            except BufferError:
                self._producer.poll(0.1)

    def cleanup(self) -> None:
        """Forget rows sent long ago, at most once a minute."""
        now = time.monotonic()
        if now - self._last_cleanup < 60:
            return
        self._last_cleanup = now
        ob = self._outbox
        with self._engine.begin() as conn:
            conn.execute(
                delete(ob).where(
                    ob.c.sent_at < func.now() - text(f"interval '{int(self._keep_sent_s)} seconds'")
                )
            )

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set, backing off while the broker or database is away."""
        backoff = self._idle_sleep
        while not stop.is_set():
            try:
                sent = self.publish_batch()
                self.cleanup()
                if self.last_failures:
                    raise KafkaException(f"{self.last_failures} deliveries failed")
                backoff = self._idle_sleep
                if sent < self._batch:
                    stop.wait(self._idle_sleep if sent == 0 else 0)
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                log.warning("outbox relay error, retrying in %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2 if backoff >= 0.5 else 0.5, 5.0)
