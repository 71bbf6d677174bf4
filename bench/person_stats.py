"""A person's figures: `GET /users/{id}/stats` for a person with many entries and one with few.

Run: `python -m bench.person_stats [--postgres postgresql://postgres@127.0.0.1:5499]
[--big 10000] [--small 10] [--calls 300]`. Without an address it starts its own
PostgreSQL. Both people's entries go in as `media.entry_changed` events through the
consumer's own handler (in process, batches of 500, as a consumer batch would), so the
counters are the ones the consumer keeps; the big person's entries are spread over
movies and series, statuses, ratings and watches, and 1 in 10 of their titles sits in
a second list. It prints the handler's rate, then p50/p99 of the reads through the app
(in process, no gateway) as the owner, as an anonymous reader, and with `?months=120`.
Goal: the big person within 2x of the small one.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import command_line
from bench.stats_trending import postgres_server, timings
from servicekit.contract import MEDIA_ENTRY_CHANGED, STATUSES
from servicekit.messages import Event
from servicekit.migrate import upgrade
from tests.helpers import identity

BATCH = 500


def entry_events(person: str, entries: int) -> list[dict]:
    """Adds of `entries` entries (1 in 10 titles twice), spread over the last two years."""
    now, events = datetime.now(UTC), []
    for i in range(entries):
        title = i - i // 10 if i % 10 == 9 else i  # every tenth entry repeats a title
        after = {
            "status": STATUSES[i % len(STATUSES)],
            "rating": None if i % 3 == 0 else 1 + i % 10,
            "userId": person,
            "timesWatched": i % 4,
        }
        events.append(
            {
                "eventId": str(uuid.uuid4()),
                "type": "media.entry_changed",
                "occurredAt": (now - timedelta(hours=i % (24 * 730))).isoformat(),
                "source": "watchlist",
                "listId": str(uuid.uuid4()),
                "mediaId": 1 + title,
                "mediaType": ("movie", "tv")[title % 2],
                "before": None,
                "after": after,
            }
        )
    return events


def feed(app, events: list[dict]) -> float:
    """Apply the events through the consumer's handler; events per second."""
    from mediastatistics_service.events import on_media_entry_changed
    from mediastatistics_service.models import db

    began = time.perf_counter()
    with app.app_context():
        for start in range(0, len(events), BATCH):
            batch = [
                Event(MEDIA_ENTRY_CHANGED, 0, start + i, None, body)
                for i, body in enumerate(events[start : start + BATCH])
            ]
            refused = on_media_entry_changed(db.session, batch)
            assert not refused, refused[:1]
            db.session.commit()
    return len(events) / (time.perf_counter() - began)


def cases(big: str, small: str) -> dict[str, tuple[str, str | None]]:
    """Case name -> (path, reader id or None for anonymous)."""
    return {
        "owner small": (f"/users/{small}/stats", small),
        "owner big": (f"/users/{big}/stats", big),
        "anonymous small": (f"/users/{small}/stats", None),
        "anonymous big": (f"/users/{big}/stats", None),
        "owner small months=120": (f"/users/{small}/stats?months=120", small),
        "owner big months=120": (f"/users/{big}/stats?months=120", big),
    }


class Client:
    """A test client that sends fresh identity headers (assertions live seconds)."""

    def __init__(self, app, user: str | None):
        self.client, self.user = app.test_client(), user

    def get(self, path: str):
        return self.client.get(path, headers=identity(self.user) if self.user else {})


def main() -> None:
    """Print the handler's rate, p50/p99 per case, and big/small ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server (default: own)")
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    big, small = str(uuid.uuid4()), str(uuid.uuid4())
    with postgres_server(args.postgres) as postgres:
        database = f"bench_person_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = f"{postgres}/{database}"
        try:
            upgrade("mediastatistics_service", url)
            from mediastatistics_service import create_app
            from tests.helpers import KEY_ENV

            app = create_app(
                {"DATABASE_URL": url, "WLT_ENV": "test", "WLT_LOG_LEVEL": "WARNING", **KEY_ENV}
            )
            rate = feed(app, entry_events(big, args.big) + entry_events(small, args.small))
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("ANALYZE")
            figures = {}
            for name, (path, reader) in cases(big, small).items():
                figures[name] = timings(Client(app, reader), path, args.calls)
        finally:
            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"# {command_line()}")
    print(f"# {args.big} and {args.small} entries; consumer handler {rate:,.0f} events/s")
    print(f"{'case':<28} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (p50, p99) in figures.items():
        print(f"{name:<28} {p50:>8.2f} {p99:>8.2f}")
    for suffix in ("", " months=120"):
        for reader in ("owner", "anonymous") if not suffix else ("owner",):
            b, s = figures[f"{reader} big{suffix}"], figures[f"{reader} small{suffix}"]
            ratio = f"p50 {b[0] / s[0]:.2f}x, p99 {b[1] / s[1]:.2f}x"
            print(f"ratio big/small {reader}{suffix}: {ratio} (goal: within 2x)")


if __name__ == "__main__":
    main()
