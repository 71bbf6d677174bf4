"""Media statistics catch-up: apply a backlog of events, against a bare Kafka read of it.

Run: `python -m bench.stats_catchup [--postgres postgresql://postgres@127.0.0.1:5499
--kafka 127.0.0.1:9392] [--events 100000]`. Without addresses it starts its own
PostgreSQL and Kafka. It produces the events to a fresh topic, then times (a) a bare
confluent-kafka consumer reading all of them and (b) the service's own consumer
applying all of them to a fresh database, each in a new consumer group, one after the
other in this process. Both times include joining the group. Goals at 1,000,000 events:
(b) >= 50,000/s and >= 0.15 of (a).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from confluent_kafka import Consumer

from bench.common import ROOT, command_line
from servicekit.consumer import consumer_config
from servicekit.contract import MEDIA_ENTRY_CHANGED
from servicekit.migrate import upgrade
from tests.mediastatistics_service.support import Ledger, produce


@contextlib.contextmanager
def servers(postgres: str | None, kafka: str | None) -> Iterator[tuple[str, str]]:
    """Base PostgreSQL URL and Kafka bootstrap: the given ones or our own."""
    from devstack.ports import free_port

    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if not postgres:
            from devstack.postgres import PostgresServer

            server = PostgresServer(Path(tmp) / "pg", free_port())
            server.start()
            stack.callback(server.stop)
            postgres = server.url("").rstrip("/")
        if not kafka:
            from devstack.kafka import KafkaBroker

            broker = KafkaBroker(
                Path(tmp) / "kafka", free_port(), free_port(), ROOT / "var/cache/kafka-libs"
            )
            broker.start()
            stack.callback(broker.stop)
            kafka = broker.bootstrap
        yield postgres.rstrip("/"), kafka


def bare_read(bootstrap: str, topic: str, count: int) -> float:
    """Seconds for a plain consumer to receive `count` messages (decoding nothing)."""
    consumer = Consumer(consumer_config(bootstrap, f"bench-bare-{uuid.uuid4().hex[:8]}"))
    consumer.subscribe([topic])
    began, seen = time.perf_counter(), 0
    while seen < count:
        seen += sum(1 for m in consumer.consume(5000, 1.0) if m.error() is None)
    elapsed = time.perf_counter() - began
    consumer.commit(asynchronous=False)
    consumer.close()
    return elapsed


def service_apply(database_url: str, bootstrap: str, prefix: str, count: int) -> float:
    """Seconds for the service's consumer to apply `count` events to a fresh database."""
    from mediastatistics_service import create_app
    from mediastatistics_service.worker import build_consumer

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
            "WLT_ENV": "test",
            "WLT_LOG_LEVEL": "WARNING",
            "WLT_STATS_GROUP_ID": f"bench-stats-{uuid.uuid4().hex[:8]}",
        }
    )
    loop = build_consumer(app)
    began, handled = time.perf_counter(), 0
    while handled < count:
        handled += loop.poll_once()
    elapsed = time.perf_counter() - began
    loop.close()
    return elapsed


def main() -> None:
    """Print both rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server (default: own)")
    parser.add_argument("--kafka", help="bootstrap of a Kafka broker (default: own)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--media", type=int, default=10_000, help="distinct media ids")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench{tag}."
    with servers(args.postgres, args.kafka) as (postgres, kafka):
        database = f"bench_stats_{tag}"
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        try:
            upgrade("mediastatistics_service", f"{postgres}/{database}")
            ledger = Ledger()
            ledger.random_walk(list(range(1, args.media + 1)), args.events)
            produce(kafka, prefix, ledger.events)
            bare = bare_read(kafka, prefix + MEDIA_ENTRY_CHANGED, args.events)
            ours = service_apply(f"{postgres}/{database}", kafka, prefix, args.events)
        finally:
            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"# {command_line()}")
    print(f"# backlog of {args.events} media-entry-changed events over {args.media} media")
    print(f"bare confluent-kafka read   {args.events / bare:>10.0f} events/s  ({bare:.2f} s)")
    print(f"statistics consumer applied {args.events / ours:>10.0f} events/s  ({ours:.2f} s)")
    print(
        f"applied/bare ratio: {bare / ours:.2f} (goals: applied >= 50000 events/s, ratio >= 0.15)"
    )


if __name__ == "__main__":
    main()
