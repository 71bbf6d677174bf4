"""Trending against top: the window sums of `trending_buckets` next to the `top` index scan.

Run: `python -m bench.stats_trending [--postgres postgresql://postgres@127.0.0.1:5499]
[--titles 20000] [--active 2000] [--calls 200]`. Without an address it starts its own
PostgreSQL. It fills a fresh statistics database with `--titles` counter rows (half of
them series) and, for `--active` titles, one hourly bucket every 3 hours over the last
31 days (what a busy month leaves) with the window totals the consumer keeps, then
calls `GET /mediastatistics/top` and `GET /mediastatistics/trending` for each period
through the app (in process, no gateway), `--calls` times each, and prints p50/p99.
Goal: trending within 2x of top.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bench.common import command_line
from servicekit.migrate import upgrade

CASES = [
    "/mediastatistics/top?limit=10",
    "/mediastatistics/top?mediaType=tv&limit=10",
    "/mediastatistics/trending?period=day&limit=10",
    "/mediastatistics/trending?period=week&limit=10",
    "/mediastatistics/trending?period=month&limit=10",
    "/mediastatistics/trending?period=month&mediaType=tv&limit=10",
]


@contextlib.contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """A base PostgreSQL URL: the given one or our own server."""
    if url:
        yield url.rstrip("/")
        return
    from devstack.ports import free_port
    from devstack.postgres import PostgresServer

    with tempfile.TemporaryDirectory() as tmp:
        server = PostgresServer(Path(tmp) / "pg", free_port())
        server.start()
        try:
            yield server.url("").rstrip("/")
        finally:
            server.stop()


def fill(url: str, titles: int, active: int) -> int:
    """Counter rows and trending buckets; returns the number of buckets."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO media_stats (media_id, media_type, added, watching, watched) "
            "SELECT i / 2 + 1, CASE WHEN i %% 2 = 0 THEN 'movie' ELSE 'tv' END, "
            "i %% 97, i %% 13, i %% 7 FROM generate_series(0, %s - 1) AS i",
            (titles,),
        )
        conn.execute(
            "INSERT INTO trending_buckets (bucket, media_type, media_id, adds, starts) "
            "SELECT date_trunc('hour', now()) - make_interval(hours => h), "
            "CASE WHEN i %% 2 = 0 THEN 'movie' ELSE 'tv' END, i / 2 + 1, "
            "(i * h) %% 5, (i + h) %% 3 "
            "FROM generate_series(0, %s - 1) AS i, generate_series(0, 31 * 24, 3) AS h",
            (active,),
        )
        # the totals the consumer would have kept for these hours
        conn.execute(
            "INSERT INTO trending_totals (period, media_id, media_type, adds, starts) "
            "SELECT w.period, b.media_id, b.media_type, sum(b.adds), sum(b.starts) "
            "FROM trending_buckets AS b JOIN trending_windows AS w ON b.bucket >= w.since "
            "GROUP BY w.period, b.media_id, b.media_type"
        )
        conn.execute("ANALYZE")
        return conn.execute("SELECT count(*) FROM trending_buckets").fetchone()[0]


def timings(client, path: str, calls: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `calls` GETs of `path` (after one warm-up call)."""
    assert client.get(path).status_code == 200
    spent = []
    for _ in range(calls):
        began = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.99) - 1]


def main() -> None:
    """Print p50/p99 per case, and trending's ratio to top."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server (default: own)")
    parser.add_argument("--titles", type=int, default=20_000)
    parser.add_argument("--active", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with postgres_server(args.postgres) as postgres:
        database = f"bench_trending_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = f"{postgres}/{database}"
        try:
            upgrade("mediastatistics_service", url)
            buckets = fill(url, args.titles, args.active)
            from mediastatistics_service import create_app

            app = create_app({"DATABASE_URL": url, "WLT_ENV": "test", "WLT_LOG_LEVEL": "WARNING"})
            client = app.test_client()
            figures = {path: timings(client, path, args.calls) for path in CASES}
        finally:
            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"# {command_line()}")
    print(f"# {args.titles} counter rows; {buckets} trending buckets over {args.active} titles")
    print(f"{'case':<62} {'p50 ms':>8} {'p99 ms':>8}")
    for path, (p50, p99) in figures.items():
        print(f"{path:<62} {p50:>8.2f} {p99:>8.2f}")
    top = figures[CASES[0]][0]
    worst = max(figures[p][0] for p in CASES[2:])
    print(f"slowest trending p50 / top p50: {worst / top:.2f} (goal: within 2x)")


if __name__ == "__main__":
    main()
