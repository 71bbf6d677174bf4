"""The outbox relay: publishes committed outbox rows and marks them sent once acknowledged.

One relay publishes at a time per database (a transaction-scoped advisory lock), so
events leave in commit order and a second replica waits instead of publishing a row
twice; `FOR UPDATE SKIP LOCKED` keeps that true even without the lock. A row is marked
sent only after its delivery report; a crash between the two republishes it, and
consumers absorb the duplicate by `eventId`.

An idle relay does not poll: every outbox write also sends `NOTIFY outbox_written`
(delivered when its transaction commits, see `servicekit.events`), and the relay waits
for it on a connection of its own that `LISTEN`s, with a slow poll (`idle_wait_s`) as
the fallback for a lost connection. A wake-up carries no data, so a forged one (anyone
who may connect to the database can notify) costs one empty query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import psycopg
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from prometheus_client import Counter
from sqlalchemy import Engine, Row, Table, Text, delete, func, select, text, update

from .events import WAKE_CHANNEL

log = logging.getLogger(__name__)

PUBLISHED = Counter("wlt_outbox_published_total", "Outbox rows published", ["topic"])
PUBLISH_FAILURES = Counter("wlt_outbox_publish_failures_total", "Failed deliveries")

_RELAY_LOCK_ID = 0x0B0C5  # any constant: one relay per service database at a time


class Wakeup:
    """Waits for `NOTIFY outbox_written` on a listening connection of its own.

    Without a working connection it sleeps out the wait instead (and tries again next
    time), so the relay degrades to slow polling, never to stopping.
    """

    def __init__(self, engine: Engine):
        self._engine = engine
        self._raw: Any = None  # the pool's wrapper, to invalidate
        self._conn: psycopg.Connection[Any] | None = None

    def _listening(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raw = self._engine.raw_connection()
            try:
                conn = cast("psycopg.Connection[Any]", raw.driver_connection)
                conn.autocommit = True
                conn.execute(f"LISTEN {WAKE_CHANNEL}")
            except Exception:
                raw.invalidate()
                raise
            self._raw, self._conn = raw, conn
        return self._conn

    def open(self) -> None:
        """Start listening now, so a write committed from here on is never slept through."""
        try:
            self._listening()
        except Exception as exc:  # noqa: BLE001 - polling still works without it
            log.warning("outbox relay cannot LISTEN (%s): polling instead", exc)

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Until a notification, `stop`, or `timeout` seconds; whichever comes first."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                conn = self._listening()
                # short slices: `stop` is seen within half a second
                if any(True for _ in conn.notifies(timeout=min(left, 0.5), stop_after=1)):
                    return
            except Exception as exc:  # noqa: BLE001 - fall back to sleeping out the wait
                log.warning("outbox relay lost its LISTEN connection: %s", exc)
                self.close()
                stop.wait(left)
                return

    def close(self) -> None:
        """Give the connection back (invalidated: it is still listening)."""
        if self._conn is not None:
            self._conn = None
            try:
                self._raw.invalidate()
            except Exception:  # noqa: BLE001 - it is going away either way
                pass


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
        idle_wait_s: float = 1.0,
        keep_sent_s: int = 3600,
    ):
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._prefix = topic_prefix
        self._batch = batch_size
        self._idle_sleep = idle_sleep_s
        self._idle_wait = idle_wait_s
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
        """Publish until `stop` is set, backing off while the broker or database is away.

        After a batch that sent rows it looks again at once; after an empty one it waits
        for an outbox write's notification (at most `idle_wait_s`, the fallback poll).
        """
        backoff = self._idle_sleep
        wakeup = Wakeup(self._engine)
        wakeup.open()
        try:
            while not stop.is_set():
                try:
                    sent = self.publish_batch()
                    self.cleanup()
                    if self.last_failures:
                        raise KafkaException(f"{self.last_failures} deliveries failed")
                    backoff = self._idle_sleep
                    if sent == 0:
                        wakeup.wait(self._idle_wait, stop)
                except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                    log.warning("outbox relay error, retrying in %.1fs: %s", backoff, exc)
                    stop.wait(backoff)
                    backoff = min(backoff * 2 if backoff >= 0.5 else 0.5, 5.0)
        finally:
            wakeup.close()
