"""Consumer lag: the worker records its position after each commit; the web process reports it.

The worker writes, per partition, the offset it committed and the partition's high
watermark (from librdkafka's fetch cache, so no extra broker round trip); the handler
writes the newest applied event's `occurredAt` in the batch's own transaction.
`/metrics` and `/health/ready` read that table. Lag is shown, never made a readiness
failure: a service catching up still answers correctly, only later. The same loop
moves the trending windows on at each new hour, and its hourly clean-up drops the
trending hours no window holds any more.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message, TopicPartition
from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from servicekit.consumer import PROCESSED_KEEP_DAYS, EventConsumer

from . import trending
from .models import db
from .tally import STATS_LOCK_ID

_RECORD = text(
    "INSERT INTO consumer_progress (topic, partition, committed_offset, high_watermark, "
    "updated_at) SELECT :topic, p, c, h, now() FROM unnest(:partitions, :committed, :high) "
    "AS v(p, c, h) ON CONFLICT (topic, partition) DO UPDATE SET "
    "committed_offset = coalesce(excluded.committed_offset, consumer_progress.committed_offset), "
    "high_watermark = coalesce(excluded.high_watermark, consumer_progress.high_watermark), "
    "updated_at = excluded.updated_at"
).bindparams(*(bindparam(n, type_=ARRAY(BigInteger)) for n in ("partitions", "committed", "high")))

_SUMMARY = text(
    "SELECT coalesce(sum(greatest(high_watermark - committed_offset, 0)), 0) AS lag, "
    "extract(epoch FROM now() - max(last_event_at)) AS event_age, "
    "extract(epoch FROM now() - max(updated_at)) AS progress_age "
    "FROM consumer_progress"
)


class ProgressRecordingConsumer(EventConsumer):
    """The kit's consumer, also recording its committed position and the high watermark."""

    def __init__(self, *args: Any, idle_record_s: float = 1.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._next: dict[tuple[str, int], int] = {}
        self._positions: dict[tuple[str, int], int] = {}
        self._idle_record_s = idle_record_s
        self._recorded_at = 0.0
        self._windows_hour: datetime | None = None

    def process(self, messages: list[Message]) -> None:
        """Apply the batch; remember how far it reached on each partition.

        `poll_once` clears the record: a batch applied message by message (after
        repeated failures) calls this once per message and must add up, not overwrite.
        """
        super().process(messages)
        for msg in messages:
            # a polled message (not an error) always has its topic, partition and offset
            tp = (msg.topic() or "", msg.partition() or 0)
            self._next[tp] = max(self._next.get(tp, 0), (msg.offset() or 0) + 1)

    def poll_once(self) -> int:
        """One poll, applied and committed, then the position recorded.

        First, at each new hour, the trending windows move on.
        """
        self._move_windows()
        self._next = {}
        handled = super().poll_once()
        self._positions.update(self._next)
        now = time.monotonic()
        if handled or now - self._recorded_at >= self._idle_record_s:
            self._recorded_at = now
            self.record()
        return handled

    def _move_windows(self) -> None:
        hour = trending.hour_of(datetime.now(UTC))
        if self._windows_hour != hour:
            trending.roll(self._engine, hour, STATS_LOCK_ID)
            self._windows_hour = hour

    def prune_processed(self, keep_days: float = PROCESSED_KEEP_DAYS) -> int:
        """Forget old event ids (the kit's hourly clean-up), and drop stale trending hours."""
        trending.prune(self._engine)
        return super().prune_processed(keep_days)

    def record(self) -> None:
        """Write committed offsets and high watermarks of the partitions this consumer holds."""
        rows: dict[str, list[tuple[int, int | None, int | None]]] = {}
        for tp in self._consumer.assignment():
            committed = self._positions.get((tp.topic, tp.partition))
            high = self._high_watermark(tp)
            if committed is None and high is None:
                continue
            topic = tp.topic[len(self._prefix) :]
            rows.setdefault(topic, []).append((tp.partition, committed, high))
        with self._engine.begin() as conn:
            for topic, values in rows.items():
                parts, offsets, highs = (list(column) for column in zip(*values, strict=True))
                conn.execute(
                    _RECORD,
                    {"topic": topic, "partitions": parts, "committed": offsets, "high": highs},
                )

    def _high_watermark(self, tp: TopicPartition) -> int | None:
        try:
            _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
        except Exception:  # noqa: BLE001 - not fetched yet: nothing to report
            return None
        return high if high is not None and high >= 0 else None


def lag_summary(engine: Engine) -> dict[str, Any]:
    """Events behind, age of the newest applied event, age of the last progress record."""
    with engine.connect() as conn:
        row = conn.execute(_SUMMARY).one()
    return {
        "lagEvents": int(row.lag),
        "lastEventAgeSeconds": None if row.event_age is None else round(float(row.event_age), 3),
        "progressAgeSeconds": None
        if row.progress_age is None
        else round(float(row.progress_age), 3),
    }


def consumer_check(app: Flask):
    """A ready check that reports lag as details and never fails on lag alone."""

    def check() -> tuple[bool, Any]:
        with app.app_context():
            return True, lag_summary(db.engine)

    return check


class _LagCollector:
    def __init__(self, app: Flask):
        self._app = app

    def collect(self):
        with self._app.app_context():
            summary = lag_summary(db.engine)
            dead = db.session.execute(text("SELECT count(*) FROM dead_letters")).scalar_one()
        yield GaugeMetricFamily(
            "wlt_consumer_lag_events",
            "Events on the broker not yet applied (as of the consumer's last record)",
            value=summary["lagEvents"],
        )
        age = summary["lastEventAgeSeconds"]
        yield GaugeMetricFamily(
            "wlt_last_event_age_seconds",
            "Seconds since the newest applied event occurred",
            value=float("nan") if age is None else age,
        )
        yield GaugeMetricFamily(
            "wlt_dead_letters_stored", "Events kept in the dead-letter table", value=dead
        )


def install_lag_metrics(app: Flask) -> None:
    """Report lag and dead letters from the database on this app's /metrics."""
    app.extensions["wlt_metrics_registry"].register(_LagCollector(app))
