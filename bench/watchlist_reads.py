"""Benchmark: reading a 1,000-entry list vs a 10-entry list, and entry additions per second.

Through a running stack (signs up its own user at the gateway):
    .venv/bin/python bench/watchlist_reads.py --base-url http://127.0.0.1:8000
Straight at a watchlist service port, with gateway identity headers instead of a token:
    .venv/bin/python bench/watchlist_reads.py --base-url http://127.0.0.1:8003 --direct
In-process with the Flask test client, on a fresh database (dropped afterwards):
    .venv/bin/python bench/watchlist_reads.py --in-process \
        --postgres-url postgresql://postgres@127.0.0.1:5499 --kafka 127.0.0.1:9392
Goal: p50 of the 1,000-entry read under 4x the 10-entry read. Prints figures only.
The list now shows its first page of media (bench/list_pages.py measures that against
a 10,000-entry list); this one still measures the additions and the whole read.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MEDIA_BASE = 7_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--base-url", help="gateway (or, with --direct, service) URL")
    where.add_argument("--in-process", action="store_true", help="Flask test client, no HTTP")
    parser.add_argument("--direct", action="store_true", help="send identity headers, skip sign-up")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("WLT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5499"),
        help="PostgreSQL server URL without a database name (in-process only)",
    )
    parser.add_argument(
        "--kafka",
        default=os.environ.get("WLT_TEST_KAFKA", "127.0.0.1:9392"),
        help="Kafka bootstrap servers (in-process only; the readiness check uses it)",
    )
    parser.add_argument("--big", type=int, default=1000, help="entries in the big list")
    parser.add_argument("--small", type=int, default=10, help="entries in the small list")
    parser.add_argument("--reads", type=int, default=200, help="reads of each list")
    return parser.parse_args()


# A call: (method, path, json body) -> (status, a function decoding the answer's body);
# decoding is left to the caller so that read timings measure the service, not the client.
Call = Callable[[str, str, dict | None], tuple[int, Callable[[], dict | None]]]


def http_caller(base_url: str, direct: bool) -> Call:
    """Calls over HTTP with a signed-up user's token, or identity headers with --direct."""
    import requests

    session = requests.Session()
    base = base_url.rstrip("/")
    stated = None
    if direct:
        from bench.common import StatedIdentity, assertion_key

        stated = StatedIdentity(assertion_key(None), str(uuid.uuid4()))
    else:
        email = f"bench-{secrets.token_hex(4)}@example.com"
        signup = session.post(
            f"{base}/auth/signup",
            json={"email": email, "password": secrets.token_urlsafe(12), "displayName": "Bench"},
            timeout=10,
        )
        signup.raise_for_status()
        session.headers["Authorization"] = f"Bearer {signup.json()['accessToken']}"

    def call(method: str, path: str, body: dict | None = None):
        headers = stated() if stated else None
        response = session.request(method, base + path, json=body, headers=headers, timeout=30)
        return response.status_code, lambda: response.json() if response.content else None

    return call


def in_process_caller(args: argparse.Namespace) -> tuple[Call, Callable[[], None]]:
    """Calls through the Flask test client on a fresh database; returns (call, cleanup)."""
    import psycopg

    from bench.common import StatedIdentity
    from servicekit.migrate import upgrade
    from tests.helpers import ASSERTION_SIGNING_KEY, KEY_ENV
    from watchlist_service import create_app

    base = args.postgres_url.rstrip("/")
    name = f"bench_wl_reads_{secrets.token_hex(4)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade("watchlist_service", f"{base}/{name}")
    app = create_app(
        {
            "DATABASE_URL": f"{base}/{name}",
            "KAFKA_BOOTSTRAP_SERVERS": args.kafka,
            "WLT_ENV": "test",
            "WLT_LOG_LEVEL": "WARNING",
            **KEY_ENV,
        }
    )
    client = app.test_client()
    stated = StatedIdentity(ASSERTION_SIGNING_KEY, str(uuid.uuid4()))

    def call(method: str, path: str, body: dict | None = None):
        response = client.open(path, method=method, json=body, headers=stated())
        return response.status_code, lambda: response.get_json(silent=True)

    def cleanup() -> None:
        from watchlist_service.models import db

        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return call, cleanup


def fill(call: Call, name: str, entries: int, first_media: int) -> tuple[str, float]:
    """A new list with `entries` media; returns its id and the additions' seconds."""
    status, body = call("POST", "/watchlists", {"name": name})
    assert status == 201, body()
    list_id = body()["listId"]
    started = time.perf_counter()
    for i in range(entries):
        media = {
            "mediaId": first_media + i,
            "status": "watching",
            "progress": i,
            "rating": 1 + i % 10,
        }
        status, body = call("POST", f"/watchlists/{list_id}/media", media)
        assert status == 201, body()
    return list_id, time.perf_counter() - started


def read_times(call: Call, list_id: str, reads: int, expected: int) -> list[float]:
    """Milliseconds of each of `reads` reads of one list (after a few warm-ups)."""
    for _ in range(5):
        call("GET", f"/watchlists/{list_id}", None)
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        status, body = call("GET", f"/watchlists/{list_id}", None)
        times.append((time.perf_counter() - started) * 1000)
        shown = body()
        # the list answers its total and its first page (50) of media
        assert status == 200 and shown["mediaCount"] == expected
        assert len(shown["media"]) == min(expected, 50)
    return times


def describe(label: str, times: list[float]) -> float:
    """Print p50/p95 of a series; returns the p50."""
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"read {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({len(times)} reads)")
    return p50


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    cleanup = None
    if args.in_process:
        call, cleanup = in_process_caller(args)
        print("mode: in-process (Flask test client), PostgreSQL", args.postgres_url)
    else:
        call = http_caller(args.base_url, args.direct)
        print("mode: HTTP", args.base_url, "(identity headers)" if args.direct else "(signed up)")
    try:
        big_id, big_s = fill(call, "Big", args.big, MEDIA_BASE)
        small_id, _ = fill(call, "Small", args.small, MEDIA_BASE)
        print(f"additions: {args.big} in {big_s:.2f}s -> {args.big / big_s:,.0f} entries/s")
        small = describe(
            f"{args.small:>5} entries", read_times(call, small_id, args.reads, args.small)
        )
        big = describe(f"{args.big:>5} entries", read_times(call, big_id, args.reads, args.big))
        print(f"ratio big/small p50: {big / small:.2f}x (goal < 4x)")
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
