"""The friends' feed: `GET /activity` through the gateway for a reader with 500 friends who
made 100,000 changes in all, against one with 10 friends, in one run; and what fan-out on
write costs the writer.

Run: `python -m bench.activity_feed [--friends 500] [--changes 100000] [--small 10]
[--seconds 10]`. It starts its own stack, signs the two readers up through the gateway,
and loads the activity service's tables with COPY as its consumer would have left them:
each friend has a `friends` list and a private one (a quarter of the changes, hidden from
the feed), the feed rows of both readers (the small reader's friends are ten of the big
one's), and a profile per friend in the user service so display names resolve. Then a
closed loop of 4 clients reads each reader's first page (50 items) for `--seconds`.
Goal: the big reader's p50 and p99 within 2x of the small one's.

The second figure is the writer's side of fan-out on write: the consumer's own handler
applying 500 adds (in process, batches of 50) by an actor with `--friends` friends, then
by one with `--small`, each its own transaction as a consumer batch is.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import closed_loop, command_line, running_stack, sign_up
from servicekit.contract import MEDIA_ENTRY_CHANGED, entry_state, media_entry_changed
from servicekit.messages import Event

PAGE = 50


def _copy(conn: psycopg.Connection, table: str, columns: str, rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(activity_url: str, user_url: str, readers: tuple[str, str], args) -> int:
    """The two readers' friends, lists, activities and feeds; returns the big feed's size."""
    rng = random.Random(7)
    big, small = (uuid.UUID(r) for r in readers)
    friends = [uuid.uuid4() for _ in range(args.friends)]
    lists = {f: (uuid.uuid4(), uuid.uuid4()) for f in friends}  # (friends list, private list)
    now = datetime.now(UTC)
    with psycopg.connect(user_url) as conn:
        _copy(
            conn,
            "profiles",
            "id, display_name, search_name",
            ((f, f"Friend {i}", f"friend {i}") for i, f in enumerate(friends)),
        )
    with psycopg.connect(activity_url) as conn:
        pairs = [(big, f) for f in friends] + [(small, f) for f in friends[: args.small]]
        _copy(
            conn,
            "friend_pairs",
            "user_low, user_high, friends, changed_at",
            ((*sorted(p), True, now) for p in pairs),
        )
        _copy(
            conn,
            "lists",
            "list_id, owner_id, visibility, changed_at",
            (
                row
                for f, (shown, hidden) in lists.items()
                for row in ((shown, f, "friends", now), (hidden, f, "private", now))
            ),
        )
        activities = []
        for i in range(args.changes):
            actor = friends[rng.randrange(len(friends))]
            shown, hidden = lists[actor]
            when = now - timedelta(seconds=rng.randrange(30 * 86400))
            list_id = hidden if rng.random() < 0.25 else shown
            activities.append(
                (i + 1, actor, list_id, "added", "movie", 1 + i % 5000, "added", when)
            )
        _copy(
            conn,
            "activities",
            "id, actor_id, list_id, kind, media_type, media_id, status, occurred_at",
            activities,
        )
        conn.execute("SELECT setval('activities_id_seq', %s)", (args.changes,))
        few = set(friends[: args.small])
        _copy(
            conn,
            "feed",
            "reader_id, occurred_at, activity_id",
            (
                row
                for (aid, actor, _l, _k, _t, _m, _s, when) in activities
                for row in ((big, when, aid), *(((small, when, aid),) if actor in few else ()))
            ),
        )
        conn.execute("ANALYZE")
    return len(activities)


def explain(activity_url: str, readers: tuple[str, str]) -> list[str]:
    """The plan of the feed's first page for each reader, as the route runs it."""
    from activity_service.feed import _FEED

    sql = "EXPLAIN (ANALYZE, BUFFERS) " + _FEED.replace(":reader", "%(reader)s").replace(
        ":after_at", "NULL"
    ).replace(":after_id", "NULL").replace(":limit", "51")
    lines = []
    with psycopg.connect(activity_url) as conn:
        for reader in readers:
            plan = [row[0] for row in conn.execute(sql, {"reader": reader})]
            lines.append(f"reader {reader}: " + plan[-1].strip())
            lines += [f"  {line}" for line in plan if "Scan" in line or "Join" in line]
    return lines


def fan_out_cost(stack, writers: tuple[uuid.UUID, uuid.UUID], adds: int = 500) -> list[float]:
    """Milliseconds per event of the consumer's handler, for each writer."""
    from activity_service import create_app
    from activity_service.apply import on_media_entry_changed
    from activity_service.models import db

    app = create_app(stack.env_for("activity"))
    figures = []
    for writer in writers:
        list_id = uuid.uuid4()
        with app.app_context(), psycopg.connect(stack.env_for("activity")["DATABASE_URL"]) as c:
            c.execute("INSERT INTO lists VALUES (%s, %s, 'friends', now())", (list_id, writer))
            c.commit()
            started = time.perf_counter()
            for start in range(0, adds, 50):
                events = [
                    Event(MEDIA_ENTRY_CHANGED, 0, n, None, _add(writer, list_id, 900_000 + n))
                    for n in range(start, start + 50)
                ]
                with db.session.begin():
                    on_media_entry_changed(db.session, events)
            figures.append((time.perf_counter() - started) * 1000 / adds)
    return figures


def _add(writer: uuid.UUID, list_id: uuid.UUID, media_id: int) -> dict:
    return media_entry_changed(
        source="watchlist",
        list_id=list_id,
        media_id=media_id,
        media_type="movie",
        actor_id=writer,
        before=None,
        after=entry_state("added", None, 0),
        before_user_id=None,
        after_user_id=writer,
        before_visibility=None,
        after_visibility="friends",
    )["payload"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--friends", type=int, default=500)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with running_stack(None) as (gateway, stack):
        (big, big_token), (small, small_token) = sign_up(gateway, "Big"), sign_up(gateway, "Small")
        began = time.perf_counter()
        size = load(
            stack.env_for("activity")["DATABASE_URL"],
            stack.env_for("user")["DATABASE_URL"],
            (big, small),
            args,
        )
        print(
            f"loaded {size} activities of {args.friends} friends in "
            f"{time.perf_counter() - began:.1f} s"
        )

        def reader(token: str):
            headers = {"Authorization": f"Bearer {token}"}
            return lambda s: s.get(f"{gateway}/activity", headers=headers, timeout=10)

        plans = explain(stack.env_for("activity")["DATABASE_URL"], (big, small))
        for token in (big_token, small_token):  # warm both paths and check the answers
            body = reader(token)(__import__("requests")).json()
            assert len(body["items"]) == PAGE and not body["degraded"], body
        runs = {
            name: closed_loop(name, reader(token), concurrency=4, seconds=args.seconds)
            for name, token in (
                (f"{args.friends} friends", big_token),
                (f"{args.small} friends", small_token),
            )
        }
        writers = (uuid.UUID(big), uuid.UUID(small))
        per_event = fan_out_cost(stack, writers)
    print(command_line())
    print("\n".join(plans))
    for run in runs.values():
        print(run.line())
    large, few = runs.values()
    print(
        f"p50 ratio {large.percentile(50) / few.percentile(50):.2f}, "
        f"p99 ratio {large.percentile(99) / few.percentile(99):.2f} (goal: within 2x)"
    )
    print(
        f"fan-out on write: {per_event[0]:.2f} ms per event by a writer with {args.friends} "
        f"friends, {per_event[1]:.2f} ms with {args.small} "
        f"(ratio {per_event[0] / per_event[1]:.1f})"
    )


if __name__ == "__main__":
    main()
