"""Rebuild the counters from the list services' entries, safely while events flow.

Run it as `python -m mediastatistics_service.reconcile` or `POST /internal/reconcile`.
The counters count people (docs/statistics.md), so the list services give, per media
and per person the entries count for (`/internal/person-counts`), entries per status
and the ratings they carry; both services' answers are summed per person. From them a
media's expected person rows (`person_status`, `person_rating`) and counters follow.
A person's rating is their latest; the sources cannot tell which rating was set last,
so a stored rating that one of their entries still carries is kept, and otherwise the
rating of their most recently updated rated entry is taken.

Events keep flowing while this runs, so a difference seen once may only be an event in
flight (committed in a list service, not yet relayed or applied here). Rewriting such a
media would count that event twice once it arrives. A media is therefore rewritten only
when all of this holds:

1. pass 1 found its expected state differing from the stored one;
2. after a settle period (`WLT_RECONCILE_SETTLE_S`, longer than the outbox relay's
   delay) pass 2 read the same source data again;
3. the consumer group has since committed up to the high watermarks read after pass 2,
   so every event of a change made before pass 1 has been applied;
4. under the stats lock (a PostgreSQL advisory lock every consumer batch holds shared and
   this takes exclusively, so no batch interleaves with the rewrite) neither its counter
   row nor any of its person rows was touched by the consumer since just before pass 1.

Then every change made after pass 1 nets to zero (same source data) and none of them has
been applied (3 and 4), so the pending events net to zero too and the rewrite is exact:
replaying any event afterwards is still refused by its recorded id.
Media failing 2 or 4 are counted as unsettled and left for the next run.

Titles are (media id, type); the sources' entries are all movies until the list services
type them (see `sources`). Trending is not reconciled: it is history (who added or
started what, in which hour), not state the entries still hold, so there is nothing in
the sources to compare it with. It is kept exact by applying each event once.
"""

from __future__ import annotations

import heapq
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from confluent_kafka import Consumer, TopicPartition
from flask import current_app
from sqlalchemy import func, select, text

from servicekit.app import settings_of
from servicekit.config import Settings
from servicekit.contract import MEDIA_ENTRY_CHANGED
from servicekit.errors import ServiceUnavailable

from .bulk import IN_TITLES, TITLE_ARRAYS, Title, title_params
from .config import stats_settings
from .models import db
from .people import Media, expected_state, stored_state, write_state
from .sources import source_people
from .tally import STATS_LOCK_ID

STORED_CHUNK = 2000

_STORED_IDS = text(
    "SELECT media_id, media_type FROM (SELECT media_id, media_type FROM media_stats UNION "
    "SELECT media_id, media_type FROM person_status UNION "
    "SELECT media_id, media_type FROM person_rating) AS m "
    "WHERE (media_id, media_type) > (:after, :after_type) "
    "ORDER BY media_id, media_type LIMIT :limit"
)
_LOCK_MEDIA = text(
    f"SELECT media_id FROM media_stats WHERE {IN_TITLES} ORDER BY media_id, media_type FOR UPDATE"
).bindparams(*TITLE_ARRAYS)
_TOUCHED = text(
    " UNION ".join(
        f"SELECT media_id, media_type FROM {table} WHERE {IN_TITLES} AND updated_at >= :mark"
        for table in ("media_stats", "person_status", "person_rating")
    )
).bindparams(*TITLE_ARRAYS)


@dataclass(frozen=True)
class Outcome:
    """What one reconciliation run found and repaired."""

    media_compared: int
    media_differed: int
    media_unsettled: int


def stored_ids() -> Iterator[Title]:
    """Every title with a counter row or a person row, ascending, a chunk at a time."""
    after: Title = (0, "")
    while True:
        with db.engine.connect() as conn:
            params = {"after": after[0], "after_type": after[1], "limit": STORED_CHUNK}
            titles = [(r[0], r[1]) for r in conn.execute(_STORED_IDS, params)]
        yield from titles
        if len(titles) < STORED_CHUNK:
            return
        after = titles[-1]


def find_differences() -> tuple[int, dict[Title, Media]]:
    """Pass 1: how many media were compared, and the source people of those that differ."""
    tagged = heapq.merge(
        ((m, 0, p) for m, p in source_people()),
        ((m, 1, None) for m in stored_ids()),
        key=lambda t: (t[0], t[1]),
    )
    compared, candidates = 0, {}
    for title, group in groupby(tagged, key=lambda t: t[0]):
        sides = {side: people for _, side, people in group}
        compared += 1
        candidates[title] = sides.get(0) or {}
    differing = {}
    titles = sorted(candidates)
    for start in range(0, len(titles), STORED_CHUNK):
        chunk = titles[start : start + STORED_CHUNK]
        with db.engine.connect() as conn:
            stored = stored_state(conn, chunk)
        for title in chunk:
            wanted = expected_state(candidates[title], stored.get(title))
            if wanted != stored.get(title, expected_state({}, None)):
                differing[title] = candidates[title]
    return compared, differing


def wait_for_consumer(settings: Settings, group_id: str, timeout_s: float) -> None:
    """Return once the consumer group has committed up to the current high watermarks."""
    if not settings.kafka_bootstrap:
        return
    topic = settings.topic(MEDIA_ENTRY_CHANGED)
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            **settings.kafka_auth,
            "group.id": group_id,
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
    own = stats_settings(current_app)
    with db.engine.connect() as conn:
        mark = conn.execute(select(func.clock_timestamp())).scalar_one()
    compared, first = find_differences()
    if not first:
        return Outcome(compared, 0, 0)
    time.sleep(own.reconcile_settle_s)
    second = {m: p for m, p in source_people() if m in first}
    wait_for_consumer(settings_of(current_app), own.group_id, own.reconcile_catchup_timeout_s)
    fixed = unsettled = 0
    titles = sorted(first)
    with db.engine.begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(STATS_LOCK_ID)))
        conn.execute(_LOCK_MEDIA, title_params(titles))
        touched = {
            (r[0], r[1]) for r in conn.execute(_TOUCHED, {**title_params(titles), "mark": mark})
        }
        stored = stored_state(conn, titles)
        for title in titles:
            wanted = expected_state(first[title], stored.get(title))
            differs = wanted != stored.get(title, expected_state({}, None))
            if second.get(title, {}) != first[title] or title in touched:
                unsettled += differs
                continue
            if differs:
                write_state(conn, title, wanted)
                fixed += 1
    return Outcome(compared, fixed, unsettled)


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
