"""Rebuild the counters from the list services' own counts, safely while events flow.

Run it as `python -m mediastatistics_service.reconcile` or `POST /internal/reconcile`.

Events keep flowing while this runs, so a difference seen once may only be an event in
flight (committed in a list service, not yet relayed or applied here). Rewriting such a
media would count that event twice once it arrives. A media is therefore rewritten only
when all of this holds:

1. pass 1 found its source counts S1 differing from the stored counters;
2. after a settle period (`WLT_RECONCILE_SETTLE_S`, longer than the outbox relay's
   delay) pass 2 read the same source counts again (S2 == S1);
3. the consumer group has since committed up to the high watermarks read after pass 2,
   so every event of a change made before pass 1 has been applied;
4. under the stats lock (a PostgreSQL advisory lock every consumer batch holds shared and
   this takes exclusively, so no batch interleaves with the rewrite) its row was not
   touched by the consumer since just before pass 1 (`updated_at` < the mark).

Then every change made after pass 1 nets to zero (S2 == S1) and none of them has been
applied (3 and 4), so the pending events net to zero too and S2 is the exact value.
Media failing 2 or 4 are counted as unsettled and left for the next run.
"""

from __future__ import annotations

import heapq
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from flask import current_app
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from servicekit.app import settings_of
from servicekit.config import Settings
from servicekit.errors import ServiceUnavailable
from servicekit.http import service_client
from servicekit.topics import MEDIA_ENTRY_CHANGED

from .events import STATS_LOCK_ID
from .models import COUNTER_COLUMNS, db
from .progress import consumer_group

SOURCES = ("watchlist", "friendswatchlist")
SOURCE_FIELDS = ("added", "watching", "watched", "onHold", "dropped", "ratingCount", "ratingSum")
PAGE = 1000
STORED_CHUNK = 5000
Counts = tuple[int, ...]  # in COUNTER_COLUMNS order
ZERO: Counts = (0,) * len(COUNTER_COLUMNS)

_COLUMNS_SQL = ", ".join(COUNTER_COLUMNS)
_STORED = text(
    f"SELECT media_id, {_COLUMNS_SQL} FROM media_stats WHERE media_id > :after "
    "ORDER BY media_id LIMIT :limit"
)
_LOCK_ROWS = text(
    f"SELECT media_id, {_COLUMNS_SQL}, updated_at FROM media_stats "
    "WHERE media_id = ANY(:ids) FOR UPDATE"
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))
_REWRITE = text(
    f"INSERT INTO media_stats (media_id, {_COLUMNS_SQL}, updated_at) "
    "SELECT v.*, clock_timestamp() FROM unnest(:ids, "
    + ", ".join(f":{c}" for c in COUNTER_COLUMNS)
    + f") AS v(media_id, {_COLUMNS_SQL}) ON CONFLICT (media_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COUNTER_COLUMNS)
    + ", updated_at = excluded.updated_at"
).bindparams(*(bindparam(n, type_=ARRAY(BigInteger)) for n in ("ids", *COUNTER_COLUMNS)))


@dataclass(frozen=True)
class Outcome:
    """What one reconciliation run found and repaired."""

    media_compared: int
    media_differed: int
    media_unsettled: int


def _bad_answer(service: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"The {service} service gave an unusable media-counts answer.")


def _count(item: dict[str, Any], name: str, service: str) -> int:
    value = item.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad_answer(service)
    return value


def source_pages(service: str) -> Iterator[tuple[int, Counts]]:
    """One list service's counts, ascending by media id, page by page."""
    after = 0
    while True:
        response = service_client().get(
            service, f"/internal/media-counts?after={after}&limit={PAGE}"
        )
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise _bad_answer(service)
        for item in body["items"]:
            media_id = _count(item if isinstance(item, dict) else {}, "mediaId", service)
            if media_id <= after:
                raise _bad_answer(service)
            yield media_id, tuple(_count(item, name, service) for name in SOURCE_FIELDS)
            after = media_id
        next_after = body.get("nextAfter")
        if next_after is None:
            return
        if not isinstance(next_after, int) or isinstance(next_after, bool) or next_after < after:
            raise _bad_answer(service)
        after = next_after


def source_counts() -> Iterator[tuple[int, Counts]]:
    """Both list services' counts summed per media, ascending by media id."""
    merged = heapq.merge(*(source_pages(s) for s in SOURCES), key=lambda pair: pair[0])
    for media_id, group in groupby(merged, key=lambda pair: pair[0]):
        yield media_id, tuple(map(sum, zip(*(counts for _, counts in group), strict=True)))


def stored_counts() -> Iterator[tuple[int, Counts]]:
    """Our counters, ascending by media id, a chunk at a time."""
    after = 0
    while True:
        with db.engine.connect() as conn:
            rows = conn.execute(_STORED, {"after": after, "limit": STORED_CHUNK}).all()
        for row in rows:
            yield row[0], tuple(row[1:])
        if len(rows) < STORED_CHUNK:
            return
        after = rows[-1][0]


def find_differences() -> tuple[int, dict[int, Counts]]:
    """Pass 1: how many media were compared, and the source counts of those that differ."""
    tagged = heapq.merge(
        ((m, 0, c) for m, c in source_counts()),
        ((m, 1, c) for m, c in stored_counts()),
        key=lambda t: (t[0], t[1]),
    )
    compared, differing = 0, {}
    for media_id, group in groupby(tagged, key=lambda t: t[0]):
        sides = {side: counts for _, side, counts in group}
        compared += 1
        source = sides.get(0, ZERO)
        if source != sides.get(1, ZERO):
            differing[media_id] = source
    return compared, differing


def wait_for_consumer(settings: Settings, timeout_s: float) -> None:
    """Return once the consumer group has committed up to the current high watermarks."""
    if not settings.kafka_bootstrap:
        return
    topic = settings.topic(MEDIA_ENTRY_CHANGED)
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": consumer_group(settings.extra),
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=5).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return
        partitions = [TopicPartition(topic, p) for p in metadata.partitions]
        marks = {tp.partition: consumer.get_watermark_offsets(tp, timeout=5) for tp in partitions}
        deadline = time.monotonic() + timeout_s
        while True:
            committed = consumer.committed(partitions, timeout=5)
            behind = [
                tp
                for tp in committed
                if marks[tp.partition][1] > marks[tp.partition][0]
                and tp.offset < marks[tp.partition][1]
            ]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise ServiceUnavailable(
                    "The event consumer is behind; reconciliation would race it. Try later."
                )
            time.sleep(0.2)
    finally:
        consumer.close()


def reconcile() -> Outcome:
    """Compare twice around a settle period and rewrite the media that stay different."""
    settings = settings_of(current_app)
    settle_s = float(settings.extra.get("WLT_RECONCILE_SETTLE_S", "5"))
    catch_up_s = float(settings.extra.get("WLT_RECONCILE_CATCHUP_TIMEOUT_S", "30"))
    with db.engine.connect() as conn:
        mark = conn.execute(select(func.clock_timestamp())).scalar_one()
    compared, first = find_differences()
    if not first:
        return Outcome(compared, 0, 0)
    time.sleep(settle_s)
    second = {m: c for m, c in source_counts() if m in first}
    wait_for_consumer(settings, catch_up_s)
    fixes: dict[int, Counts] = {}
    unsettled = 0
    with db.engine.begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(STATS_LOCK_ID)))
        rows = {row[0]: row for row in conn.execute(_LOCK_ROWS, {"ids": sorted(first)})}
        for media_id, source in first.items():
            row = rows.get(media_id)
            stored = tuple(row[1:-1]) if row else ZERO
            if second.get(media_id, ZERO) != source or (row and row[-1] >= mark):
                unsettled += source != stored
                continue
            if source != stored:
                fixes[media_id] = source
        if fixes:
            ids = sorted(fixes)
            columns = {c: [fixes[m][i] for m in ids] for i, c in enumerate(COUNTER_COLUMNS)}
            conn.execute(_REWRITE, {"ids": ids, **columns})
    return Outcome(compared, len(fixes), unsettled)


def main() -> int:
    """Command line: run one reconciliation and print what it found as JSON."""
    from . import create_app
    from .schemas import ReconcileOut

    app = create_app()
    with app.app_context():
        try:
            outcome = reconcile()
        except ServiceUnavailable as exc:
            print(f"reconciliation failed: {exc.detail}", file=sys.stderr)
            return 1
    print(json.dumps(ReconcileOut().dump(outcome)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
