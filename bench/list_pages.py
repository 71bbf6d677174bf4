"""Benchmark: the first page of a 10,000-entry list against a 10-entry one, through the gateway.

Signs up a user at the gateway, makes a 10-entry list through the API and a
10,000-entry one by one `INSERT ... SELECT generate_series` into the watchlist
service's database (then `VACUUM (ANALYZE)`), and reads both alternately: `GET /watchlists/{id}`
(the list, its total and its first page of 50) and
`GET /watchlists/{id}/media?sort=rating&order=desc`.
Prints p50/p99 of each and the big/small ratios (goal: the first page of the big list
under 2x the small one). Without `--base-url` it starts a fresh stack of its own:

    .venv/bin/python -m bench.list_pages
    .venv/bin/python -m bench.list_pages --base-url http://127.0.0.1:8000 \
        --database-url postgresql://postgres@127.0.0.1:5499/wlt_watchlist
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import psycopg
import requests

from bench.common import command_line, running_stack, sign_up, stack_arguments

SMALL, BIG = 10, 10_000
MEDIA_BASE = 9_000_000


def seed(database_url: str, list_id: str, count: int) -> float:
    """`count` entries in one statement (ratings 1..10, every seventh unrated); seconds."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO entries (list_id, media_id, status, rating, version, added_at)"
            " SELECT %(list)s, %(first)s + i, (ARRAY['added','watching','watched'])[1 + i %% 3],"
            " CASE WHEN i %% 7 = 0 THEN NULL ELSE 1 + i %% 10 END, 1,"
            " now() - make_interval(secs => %(count)s - i)"
            " FROM generate_series(0, %(count)s - 1) AS i",
            {"list": uuid.UUID(list_id), "first": MEDIA_BASE, "count": count},
        )
        conn.execute("UPDATE lists SET version = version + 1 WHERE id = %s", (uuid.UUID(list_id),))
        # what autovacuum does soon after a bulk insert (it sets the visibility map that
        # lets the count of the list be an index-only scan)
        conn.execute("VACUUM (ANALYZE) entries")
    return time.perf_counter() - started


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def measure(session: requests.Session, urls: dict[str, str], reads: int) -> dict[str, list]:
    """Milliseconds of `reads` GETs of each URL, taken in turn so drift hits all alike."""
    for url in urls.values():
        for _ in range(10):
            session.get(url, timeout=10).raise_for_status()
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(reads):
        for name, url in urls.items():
            started = time.perf_counter()
            response = session.get(url, timeout=10)
            samples[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and len(response.content) > 0, response.text
    return samples


def main() -> None:
    """Seed, read, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stack_arguments(parser)
    parser.add_argument("--database-url", help="the watchlist service's database (with --base-url)")
    parser.add_argument("--reads", type=int, default=300, help="reads of each URL")
    args = parser.parse_args()
    print("#", command_line())
    with running_stack(args.base_url) as (gateway, stack):
        database_url = args.database_url or (stack and stack.env_for("watchlist")["DATABASE_URL"])
        if not database_url:
            raise SystemExit("--database-url is needed with --base-url")
        _, token = sign_up(gateway)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        ids = {}
        for name in ("small", "big"):
            made = session.post(f"{gateway}/watchlists", json={"name": name}, timeout=10)
            ids[name] = made.json()["listId"]
        for i in range(SMALL):
            body = {"mediaId": MEDIA_BASE + i, "rating": 1 + i % 10}
            added = session.post(
                f"{gateway}/watchlists/{ids['small']}/media", json=body, timeout=10
            )
            added.raise_for_status()
        print(f"seeded {BIG} entries in {seed(database_url, ids['big'], BIG):.2f} s")
        shown = session.get(f"{gateway}/watchlists/{ids['big']}", timeout=10).json()
        assert shown["mediaCount"] == BIG and len(shown["media"]) == 50 and shown["nextCursor"]
        urls = {}
        for name, list_id in ids.items():
            urls[f"list {name}"] = f"{gateway}/watchlists/{list_id}"
            urls[f"media by rating {name}"] = (
                f"{gateway}/watchlists/{list_id}/media?sort=rating&order=desc"
            )
        samples = measure(session, urls, args.reads)
    print(f"{'case':<28}{'p50 ms':>9}{'p99 ms':>9}")
    for name, times in samples.items():
        print(f"{name:<28}{statistics.median(times):>9.2f}{percentile(times, 99):>9.2f}")
    for what in ("list", "media by rating"):
        big, small = samples[f"{what} big"], samples[f"{what} small"]
        p50 = statistics.median(big) / statistics.median(small)
        p99 = percentile(big, 99) / percentile(small, 99)
        print(
            f"ratio {BIG}/{SMALL} first page ({what}): p50 {p50:.2f}x, p99 {p99:.2f}x (goal < 2x)"
        )


if __name__ == "__main__":
    main()
