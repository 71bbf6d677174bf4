"""Realistic data at scale, written straight into each service's own tables.

Run: `python -m bench.seed_data [--scale 0.1] [--seed 7]` starts a stack of its own (as the
other benchmarks do), loads the data with COPY, rebuilds the statistics with the service's
own reconciliation and checks them against the entries; `load()` is what `bench.scale` and
the tests call on databases they hold.

At `--scale 1`: 100,000 users (an account and a profile each, one password for all),
200,000 personal lists, 1,000,000 entries (a tenth of them in shared lists), 50,000
friendships, 20,000 shared lists between friends. Title popularity is long-tailed (Zipf,
exponent 1 over `titles` ranks): the first few titles sit in a third of all lists, most
titles in a handful. A person never holds one title twice (in two of their lists), so a
title's statistics are plain counts of its entries, which is what the check compares.
Titles are numbered from `FIRST_MEDIA_ID`, far from the ids the other tests use.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

FIRST_MEDIA_ID = 700_000_000
PASSWORD = "bench-password-1"  # every seeded account's; a benchmark signs in with it
STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
STATUS_WEIGHTS = (40, 20, 30, 5, 5)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sizes:
    """How much of everything; `scaled(f)` multiplies every count by f (at least 1 each)."""

    users: int = 100_000
    lists: int = 200_000
    entries: int = 1_000_000
    friendships: int = 50_000
    shared_lists: int = 20_000
    titles: int = 50_000
    shared_entry_share: float = 0.1

    def scaled(self, factor: float) -> Sizes:
        def n(value: int) -> int:
            return max(1, round(value * factor))

        return Sizes(
            users=max(2, n(self.users)),
            lists=n(self.lists),
            entries=n(self.entries),
            friendships=n(self.friendships),
            shared_lists=n(self.shared_lists),
            titles=max(10, n(self.titles)),
            shared_entry_share=self.shared_entry_share,
        )


@dataclass
class Dataset:
    """Every row to load, per service and table, as tuples in each table's column order."""

    sizes: Sizes
    users: list[uuid.UUID] = field(default_factory=list)
    # rows in the column order `load` names for each table
    lists: list[tuple] = field(default_factory=list)
    entries: list[tuple] = field(default_factory=list)
    friendships: list[tuple] = field(default_factory=list)
    shared_lists: list[tuple] = field(default_factory=list)
    shared_members: list[tuple] = field(default_factory=list)
    shared_entries: list[tuple] = field(default_factory=list)

    def expected_statistics(self) -> dict[int, dict[str, float | int | None]]:
        """Per title: people per status, rated people and their mean rating."""
        per_status: Counter[tuple[int, str]] = Counter()
        ratings: dict[int, list[int]] = {}
        for _list, media_id, status, _progress, rating, *_times in itertools.chain(
            self.entries, self.shared_entries
        ):
            per_status[media_id, status] += 1
            if rating is not None:
                ratings.setdefault(media_id, []).append(rating)
        titles = {media_id for media_id, _ in per_status}
        expected: dict[int, dict[str, float | int | None]] = {}
        for media_id in titles:
            counts = {s: per_status[media_id, s] for s in STATUSES}
            rated = ratings.get(media_id, [])
            expected[media_id] = {
                **counts,
                "ratingCount": len(rated),
                "ratingAverage": round(sum(rated) / len(rated), 2) if rated else None,
            }
        return expected


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _when(rng: random.Random) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(300 * 86_400))


class _Titles:
    """Draws title ids with Zipf-like popularity (weight 1/rank)."""

    def __init__(self, count: int, rng: random.Random):
        self._cumulative = list(itertools.accumulate(1 / rank for rank in range(1, count + 1)))
        self._rng = rng

    def draw(self) -> int:
        point = self._rng.random() * self._cumulative[-1]
        return FIRST_MEDIA_ID + bisect.bisect_left(self._cumulative, point)


def _entry(list_id: uuid.UUID, media_id: int, rng: random.Random) -> tuple:
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    progress = rng.randrange(1, 40) if status == "watching" else None
    rating = rng.randint(1, 10) if status in ("watched", "dropped") and rng.random() < 0.6 else None
    added = _when(rng)
    return (list_id, media_id, status, progress, rating, added, added + timedelta(hours=1))


def _fill(
    lists: Sequence[tuple[uuid.UUID, int]],
    count: int,
    titles: _Titles,
    held: set[tuple[int, int]],
    rng: random.Random,
) -> list[tuple]:
    """`count` entries over `lists` ((list id, owner index)), no title twice per person."""
    rows = []
    attempts = 0
    while len(rows) < count and attempts < count * 20:
        attempts += 1
        list_id, owner = lists[rng.randrange(len(lists))]
        media_id = titles.draw()
        if (owner, media_id) in held:
            continue
        held.add((owner, media_id))
        rows.append(_entry(list_id, media_id, rng))
    return rows


def generate(sizes: Sizes, seed: int = 7) -> Dataset:
    """The whole data set, deterministic for one seed."""
    rng = random.Random(seed)
    data = Dataset(sizes)
    data.users = [_uuid(rng) for _ in range(sizes.users)]
    owners = [rng.randrange(sizes.users) for _ in range(sizes.lists)]
    personal = [(_uuid(rng), owner) for owner in owners]
    for number, (list_id, owner) in enumerate(personal):
        made = _when(rng)
        data.lists.append((list_id, data.users[owner], f"List {number}", made, made))
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(sizes.friendships, sizes.users * (sizes.users - 1) // 2):
        a, b = rng.sample(range(sizes.users), 2)
        pairs.add((a, b) if data.users[a] < data.users[b] else (b, a))
    ordered_pairs = sorted(pairs)
    for low, high in ordered_pairs:
        since = _when(rng)
        low_id, high_id = data.users[low], data.users[high]
        asked = since - timedelta(days=1)
        data.friendships.append((_uuid(rng), low_id, high_id, low_id, "accepted", asked, since))
    shared = []
    for number in range(sizes.shared_lists if ordered_pairs else 0):
        low, high = ordered_pairs[rng.randrange(len(ordered_pairs))]
        owner, member = (low, high) if rng.random() < 0.5 else (high, low)
        list_id, made = _uuid(rng), _when(rng)
        data.shared_lists.append(
            (
                list_id,
                f"Shared {number}",
                data.users[owner],
                "active",
                made,
                made,
            )
        )
        data.shared_members.append((list_id, data.users[member], "active", made, made))
        shared.append((list_id, owner))
    titles = _Titles(sizes.titles, rng)
    held: set[tuple[int, int]] = set()
    in_shared = round(sizes.entries * sizes.shared_entry_share) if shared else 0
    data.entries = _fill(personal, sizes.entries - in_shared, titles, held, rng)
    data.shared_entries = _fill(shared, in_shared, titles, held, rng)
    return data


def _copy(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _accounts(data: Dataset, password_hash: str) -> Iterator[tuple]:
    for number, user_id in enumerate(data.users):
        email = f"user{number}@bench.example"
        yield (user_id, email, email, password_hash, "USER")


def _profiles(data: Dataset) -> Iterator[tuple]:
    for number, user_id in enumerate(data.users):
        name = f"Bench User {number}"
        yield (user_id, name, name.lower())


def load(data: Dataset, database_urls: dict[str, str]) -> dict[str, float]:
    """COPY the data set into each service's database (by service name); seconds per service."""
    from auth_service.passwords import hash_password

    timings: dict[str, float] = {}
    plan = {
        "auth": [
            (
                "accounts",
                ("id", "email", "email_key", "password_hash", "role"),
                _accounts(data, hash_password(PASSWORD)),
            )
        ],
        "user": [("profiles", ("id", "display_name", "search_name"), _profiles(data))],
        "watchlist": [
            ("lists", ("id", "owner_id", "name", "created_at", "updated_at"), data.lists),
            (
                "entries",
                ("list_id", "media_id", "status", "progress", "rating", "added_at", "updated_at"),
                data.entries,
            ),
        ],
        "friends": [
            (
                "friendships",
                (
                    "id",
                    "user_low",
                    "user_high",
                    "requester_id",
                    "state",
                    "created_at",
                    "accepted_at",
                ),
                data.friendships,
            )
        ],
        "friendswatchlist": [
            (
                "shared_lists",
                ("id", "name", "owner_id", "state", "created_at", "updated_at"),
                data.shared_lists,
            ),
            (
                "shared_list_members",
                ("list_id", "user_id", "state", "invited_at", "joined_at"),
                data.shared_members,
            ),
            (
                "entries",
                ("list_id", "media_id", "status", "progress", "rating", "added_at", "updated_at"),
                data.shared_entries,
            ),
        ],
    }
    for service, tables in plan.items():
        started = time.perf_counter()
        with psycopg.connect(database_urls[service]) as conn:
            for table, columns, rows in tables:
                _copy(conn, table, columns, rows)
                conn.execute(f"ANALYZE {table}")
        timings[service] = time.perf_counter() - started
    return timings


def differences(
    expected: dict[int, dict[str, float | int | None]], served: dict[int, dict]
) -> list[str]:
    """Titles whose served statistics differ from the expected ones (at most 10 lines)."""
    fields = {"added": "added", "watching": "watching", "watched": "watched"}
    fields |= {"on_hold": "onHold", "dropped": "dropped", "ratingCount": "ratingCount"}
    lines = []
    for media_id, want in sorted(expected.items()):
        got = served.get(media_id, {})
        wrong = [
            f"{name} {got.get(key)} != {want[name]}"
            for name, key in fields.items()
            if got.get(key) != want[name]
        ]
        average = got.get("ratingAverage")
        if (average is None) != (want["ratingAverage"] is None) or (
            average is not None and abs(average - float(want["ratingAverage"] or 0)) > 0.01
        ):
            wrong.append(f"ratingAverage {average} != {want['ratingAverage']}")
        if wrong:
            lines.append(f"media {media_id}: " + ", ".join(wrong))
        if len(lines) == 10:
            break
    return lines


def served_statistics(get, media_ids: Sequence[int]) -> dict[int, dict]:
    """Statistics of `media_ids` read through `get(path)` (a JSON-returning GET), 100 a batch."""
    served: dict[int, dict] = {}
    for start in range(0, len(media_ids), 100):
        batch = media_ids[start : start + 100]
        for item in get("/mediastatistics?ids=" + ",".join(map(str, batch)))["items"]:
            served[int(item["mediaId"])] = item
    return served


def main() -> int:
    """Seed a stack of our own, reconcile the statistics, check them; print the figures."""
    import requests

    from bench.common import command_line, running_stack
    from servicekit import keys
    from servicekit.assertions import CredentialSigner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = Sizes().scaled(args.scale)
    print(f"# {command_line()}\n# {sizes}")
    started = time.perf_counter()
    data = generate(sizes, args.seed)
    print(f"generated in {time.perf_counter() - started:.1f} s")
    with running_stack(None) as (gateway, stack):
        assert stack is not None
        urls = {name: stack.env_for(name)["DATABASE_URL"] for name in (
            "auth", "user", "watchlist", "friends", "friendswatchlist")}  # fmt: skip
        for service, seconds in load(data, urls).items():
            print(f"loaded {service:<17} {seconds:6.1f} s")
        key = keys.private_key(stack.env_for("mediastatistics")["WLT_SERVICE_KEY"])
        token = CredentialSigner("mediastatistics", key).for_service("mediastatistics")
        started = time.perf_counter()
        answer = requests.post(
            stack.service_url("mediastatistics") + "/internal/reconcile",
            headers={"X-Service-Token": token},
            timeout=3600,
        )
        if answer.status_code != 200:
            sys.exit(f"reconciliation answered {answer.status_code}: {answer.text}")
        print(f"reconciled in {time.perf_counter() - started:.1f} s: {answer.json()}")
        expected = data.expected_statistics()
        served = served_statistics(
            lambda path: requests.get(gateway + path, timeout=30).json(), sorted(expected)
        )
        wrong = differences(expected, served)
    print("statistics equal to the entries" if not wrong else "\n".join(wrong))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
