"""The scale benchmark's data generator: its data loads into the real tables and is consistent.

At a tiny size, into fresh databases of the five services that hold data: every row loads
(the tables' constraints accept it), a person holds a title once, and the statistics the
service's own reconciliation rebuilds from the loaded entries equal the generator's counts.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from bench.seed_data import FIRST_MEDIA_ID, Sizes, differences, generate, load, served_statistics
from tests.helpers import service_headers

TINY = Sizes(users=40, lists=60, entries=400, friendships=30, shared_lists=10, titles=60)
HOLDERS = ("auth", "user", "watchlist", "friends", "friendswatchlist")


@pytest.fixture
def seeded(create_database):
    """The tiny data set loaded into fresh databases; (data, database URL per service)."""
    tag = f"_seed{uuid.uuid4().hex[:6]}"
    urls = {name: create_database(f"{name}_service", tag) for name in HOLDERS}
    data = generate(TINY, seed=3)
    load(data, urls)
    return data, urls


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_same_seed_makes_the_same_data_and_sizes_scale():
    assert generate(TINY, seed=3).entries == generate(TINY, seed=3).entries
    assert generate(TINY, seed=3).entries != generate(TINY, seed=4).entries
    scaled = Sizes().scaled(0.01)
    assert (scaled.users, scaled.lists, scaled.entries) == (1000, 2000, 10_000)


def test_every_row_loads_and_no_person_holds_a_title_twice(seeded):
    data, urls = seeded
    assert count(urls["auth"], "accounts") == count(urls["user"], "profiles") == TINY.users
    assert count(urls["watchlist"], "lists") == TINY.lists
    assert count(urls["friends"], "friendships") == TINY.friendships
    assert count(urls["friendswatchlist"], "shared_lists") == TINY.shared_lists
    loaded = count(urls["watchlist"], "entries") + count(urls["friendswatchlist"], "entries")
    assert loaded == TINY.entries
    owner_of = {row[0]: row[1] for row in data.lists} | {
        row[0]: row[2] for row in data.shared_lists
    }
    held = [(owner_of[e[0]], e[1]) for e in data.entries + data.shared_entries]
    assert len(held) == len(set(held))
    assert all(media_id >= FIRST_MEDIA_ID for _, media_id in held)


def test_popularity_is_long_tailed():
    data = generate(Sizes().scaled(0.01), seed=3)
    lists_per_title: dict[int, set] = {}
    for list_id, media_id, *_ in data.entries:
        lists_per_title.setdefault(media_id, set()).add(list_id)
    spread = sorted((len(lists) for lists in lists_per_title.values()), reverse=True)
    assert spread[0] > 20 * spread[len(spread) // 2]  # the top title far above the median one


def test_reconciled_statistics_equal_the_loaded_entries(seeded, make_app, live_server):
    data, urls = seeded
    sources = {
        "WATCHLIST_SERVICE_URL": live_server(
            make_app("watchlist_service", DATABASE_URL=urls["watchlist"])
        ).url,
        "FRIENDSWATCHLIST_SERVICE_URL": live_server(
            make_app("friendswatchlist_service", DATABASE_URL=urls["friendswatchlist"])
        ).url,
    }
    tag = uuid.uuid4().hex[:6]
    stats = make_app(
        "mediastatistics_service",
        **sources,
        WLT_STATS_GROUP_ID=f"seed-{tag}",
        WLT_RECONCILE_SETTLE_S="0.2",
    )
    client = stats.test_client()
    expected = data.expected_statistics()
    before = served_statistics(lambda path: client.get(path).get_json(), sorted(expected))
    assert differences(expected, before), "statistics were right before reconciling"
    answer = client.post(
        "/internal/reconcile", headers=service_headers("mediastatistics", "mediastatistics")
    )
    assert answer.status_code == 200, answer.get_json()
    after = served_statistics(lambda path: client.get(path).get_json(), sorted(expected))
    assert differences(expected, after) == []
