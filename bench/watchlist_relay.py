"""Benchmark: one `OutboxRelay` draining a 50,000-row watchlist outbox to the real broker.

Creates a fresh database (dropped afterwards), fills the outbox with realistic
`media-entry-changed` rows, then times `publish_batch()` until the backlog is gone.
Prints figures only; no assertions.

    .venv/bin/python bench/watchlist_relay.py --postgres-url postgresql://postgres@127.0.0.1:5499 \
        --kafka 127.0.0.1:9392 [--rows 50000] [--batch-size 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shlex
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from servicekit.contract import entry_state, media_entry_changed  # noqa: E402
from servicekit.db import normalise_url  # noqa: E402
from servicekit.migrate import upgrade  # noqa: E402
from servicekit.relay import OutboxRelay, producer_config  # noqa: E402
from watchlist_service.models import outbox  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("WLT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5499"),
        help="PostgreSQL server URL without a database name (like WLT_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--kafka",
        default=os.environ.get("WLT_TEST_KAFKA", "127.0.0.1:9392"),
        help="Kafka bootstrap servers (like WLT_TEST_KAFKA)",
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    return parser.parse_args()


def fill_outbox(engine, rows: int) -> float:
    """Insert the backlog in chunks; returns seconds taken."""
    started = time.perf_counter()
    list_id, owner_id = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        for start in range(0, rows, 5000):
            chunk = [
                media_entry_changed(
                    source="watchlist",
                    list_id=list_id,
                    media_id=1 + i % 10_000,
                    actor_id=owner_id,
                    before=None,
                    after=entry_state("watching", 1 + i % 10),
                    before_user_id=owner_id,
                )
                for i in range(start, min(start + 5000, rows))
            ]
            conn.execute(outbox.insert(), chunk)
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    base = args.postgres_url.rstrip("/")
    name = f"bench_wl_relay_{secrets.token_hex(4)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}"
        upgrade("watchlist_service", url)
        engine = create_engine(normalise_url(url))
        print(f"backlog: {args.rows} rows inserted in {fill_outbox(engine, args.rows):.2f}s")
        prefix = f"bench{secrets.token_hex(3)}."
        producer = Producer(producer_config(args.kafka))
        relay = OutboxRelay(
            engine, outbox, producer, topic_prefix=prefix, batch_size=args.batch_size
        )
        profiler = cProfile.Profile() if args.profile else None
        batches, published = 0, 0
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        while sent := relay.publish_batch():
            published += sent
            batches += 1
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            unsent = conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
        print(f"relay: {published} events in {batches} batches of <= {args.batch_size}")
        print(f"drain time: {elapsed:.2f}s  ->  {published / elapsed:,.0f} events/s")
        print(f"left unsent: {unsent}; failed deliveries in last batch: {relay.last_failures}")
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        engine.dispose()
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
