"""The consumer loop: apply a poll's events in one transaction, then commit offsets.

Each event id is inserted into `processed_events` in the same transaction as its
effect, so a replay (a crash before the offset commit, a duplicate from the relay)
changes nothing. A message that cannot be decoded or validated is dead-lettered with
its offset and skipped. A batch that fails otherwise is rewound and retried with
backoff; when the database cannot be reached that goes on until it can (nothing is
wrong with the events), but any other failure of the same batch `max_attempts` times
applies its messages one by one and dead-letters each one that still fails, so one
event the code cannot apply never stops the partition.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from prometheus_client import Counter
from sqlalchemy import Engine, String, Table, bindparam, func, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .messages import Event, Handler, decode
from .poison import Attempts, batch_starts, database_unreachable, dead_row

log = logging.getLogger(__name__)

APPLIED = Counter("wlt_events_applied_total", "Events applied", ["topic"])
DUPLICATES = Counter("wlt_events_duplicate_total", "Events skipped as already applied", ["topic"])
DEAD_LETTERED = Counter("wlt_events_dead_lettered_total", "Events dead-lettered", ["topic"])
BATCH_FAILURES = Counter(
    "wlt_event_batch_failures_total",
    "Consumer batches that failed and were rewound",
    ["kind"],  # "database" (unreachable: retried without limit) or "apply"
)
MAX_ATTEMPTS = 5


PROCESSED_KEEP_DAYS = 7


def consumer_config(bootstrap: str, group_id: str, **overrides: Any) -> dict[str, Any]:
    """A consumer that commits by hand, after the database commit."""
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
        # A fetch is a long poll: the broker answers as soon as one byte is there
        # (fetch.min.bytes), so waiting up to 500 ms costs no latency; at 50 ms the idle
        # consumers of a stack kept the broker answering a few hundred empty fetches a
        # second, which cost more CPU than the services' own idle loops.
        "fetch.wait.max.ms": 500,
        "fetch.min.bytes": 1,
        "max.partition.fetch.bytes": 4 * 1024 * 1024,
    }
    config.update(overrides)
    return config


class EventConsumer:
    """Runs handlers for a set of topics with exactly-once effect."""

    def __init__(
        self,
        engine: Engine,
        consumer: Consumer,
        handlers: dict[str, Handler],
        *,
        processed: Table,
        dead_letters: Table,
        topic_prefix: str = "",
        batch_size: int = 1000,
        poll_timeout_s: float = 0.05,
        max_attempts: int = MAX_ATTEMPTS,
    ):
        self._engine = engine
        self._consumer = consumer
        self._handlers = handlers
        self._processed = processed
        self._dead = dead_letters
        self._prefix = topic_prefix
        self._batch = batch_size
        self._poll_timeout = poll_timeout_s
        self._max_attempts = max_attempts
        self._attempts = Attempts()
        consumer.subscribe([topic_prefix + name for name in handlers])
        self._claim_sql = text(
            f"INSERT INTO {processed.name} (event_id, topic) "
            "SELECT * FROM unnest(:ids, :topics) ON CONFLICT DO NOTHING RETURNING event_id"
        ).bindparams(
            bindparam("ids", type_=ARRAY(String)), bindparam("topics", type_=ARRAY(String))
        )

    def process(self, messages: list[Message]) -> None:
        """Apply one poll's messages in one transaction (raises to have them retried)."""
        events: list[Event] = []
        dead: list[dict[str, Any]] = []
        for msg in messages:
            decoded = decode(msg, self._prefix)
            if isinstance(decoded, str):
                dead.append(
                    dead_row(
                        msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), decoded
                    )
                )
            else:
                events.append(decoded)
        with Session(self._engine) as session, session.begin():
            fresh = self._claim(session, events)
            for topic, handler in self._handlers.items():
                batch = [e for e in fresh if e.topic == topic]
                if not batch:
                    continue
                refused = handler(session, batch) or []
                refused_ids = {e.event_id for e, _ in refused}
                for event, reason in refused:
                    dead.append(
                        dead_row(
                            self._prefix + event.topic,
                            event.partition,
                            event.offset,
                            event.key,
                            json.dumps(event.body),
                            reason,
                        )
                    )
                APPLIED.labels(topic).inc(len(batch) - len(refused_ids))
            if dead:
                session.execute(insert(self._dead), dead)
        self._report(dead)

    def _report(self, dead: list[dict[str, Any]]) -> None:
        for row in dead:
            log.warning(
                "dead-lettered %s[%s]@%s: %s",
                row["topic"],
                row["partition"],
                row["offset"],
                row["reason"],
            )
            DEAD_LETTERED.labels(row["topic"][len(self._prefix) :]).inc()

    def _claim(self, session: Session, events: list[Event]) -> list[Event]:
        """Record the batch's event ids; keep only those never applied before."""
        first: dict[str, Event] = {}
        for event in events:
            first.setdefault(event.event_id, event)
        if not first:
            return []
        # Two array parameters: one statement whatever the batch size, compiled once and
        # cached (a multi-row VALUES insert was two thirds of catch-up time).
        claimed = set(
            session.execute(
                self._claim_sql,
                {"ids": list(first), "topics": [e.topic for e in first.values()]},
            ).scalars()
        )
        for event in events:
            if event.event_id not in claimed or first[event.event_id] is not event:
                DUPLICATES.labels(event.topic).inc()
        return [e for eid, e in first.items() if eid in claimed]

    def _rewind(self, messages: list[Message]) -> None:
        for (topic, partition), offset in batch_starts(messages):
            self._consumer.seek(TopicPartition(topic, partition, offset))

    def poll_once(self) -> int:
        """One poll, applied and committed; returns the number of messages handled."""
        polled = self._consumer.consume(self._batch, self._poll_timeout)
        messages = []
        for msg in polled:
            err = msg.error()
            if err is None:
                messages.append(msg)
            elif err.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer error: %s", err)
        if not messages:
            return 0
        try:
            self.process(messages)
        except Exception as exc:
            if database_unreachable(exc) or not self._gave_up(messages, exc):
                self._rewind(messages)
                raise
            self._apply_one_by_one(messages, exc)
        self._attempts.reset()
        self._consumer.commit(asynchronous=False)
        return len(messages)

    def _gave_up(self, messages: list[Message], exc: Exception) -> bool:
        """Count a failed attempt at this batch; True once it has failed `max_attempts` times."""
        BATCH_FAILURES.labels("apply").inc()
        count = self._attempts.failed(messages)
        if count < self._max_attempts:
            return False
        log.error(
            "batch at %s failed %d times (%s: %s): applying its %d messages one by one",
            sorted(batch_starts(messages)), count, exc.__class__.__name__, exc, len(messages),
        )  # fmt: skip
        return True

    def _apply_one_by_one(self, messages: list[Message], batch_error: Exception) -> None:
        """Apply each message alone; dead-letter those that still fail, with the error."""
        for index, msg in enumerate(messages):
            try:
                self.process([msg])
            except Exception as exc:
                if database_unreachable(exc):
                    self._rewind(messages[index:])
                    raise
                reason = (
                    f"failed {self._max_attempts} times in its batch and again alone: "
                    f"{exc.__class__.__name__}: {exc}"
                )[:1000]
                row = dead_row(
                    msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), reason
                )
                with Session(self._engine) as session, session.begin():
                    session.execute(insert(self._dead), [row])
                log.error("dead-lettered an event no attempt could apply (batch: %s)", batch_error)
                self._report([row])

    def close(self) -> None:
        """Leave the consumer group (for callers that poll by hand instead of `run`)."""
        self._consumer.close()

    def prune_processed(self, keep_days: float = PROCESSED_KEEP_DAYS) -> int:
        """Forget applied event ids older than `keep_days`; returns how many went.

        A duplicate can only come from a redelivery (a crash before the offset commit, a
        relay republishing after a crash), which happens within minutes; a week of ids
        is ample, and the table stops growing with the topic.
        """
        processed = self._processed
        with self._engine.begin() as conn:
            result = conn.execute(
                processed.delete().where(
                    processed.c.processed_at < func.now() - timedelta(days=keep_days)
                )
            )
        return result.rowcount

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; back off and retry the same batch on failures."""
        backoff = 0.2
        next_prune = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_prune:
                        self.prune_processed()
                        next_prune = time.monotonic() + 3600
                    self.poll_once()
                    backoff = 0.2
                except Exception as exc:  # noqa: BLE001 - the loop must outlive any outage
                    if database_unreachable(exc):
                        BATCH_FAILURES.labels("database").inc()
                    log.warning("consumer batch failed, retrying in %.1fs: %s", backoff, exc)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self._consumer.close()
