"""Trending: hourly adds and starts from real events, ranked per period and type."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from mediastatistics_service import trending
from mediastatistics_service.models import db
from mediastatistics_service.tally import STATS_LOCK_ID
from tests.helpers import assert_problem
from tests.mediastatistics_service.support import change_event, drain, entry, produce

NOW = datetime.now(UTC)


def at(ago: timedelta) -> str:
    return (NOW - ago).isoformat().replace("+00:00", "Z")


def new_entry(media_type: str, media_id: int, status: str, ago: timedelta) -> dict:
    """A new entry of a new person, `ago` before now."""
    after = {**entry(status), "userId": str(uuid.uuid4())}
    return change_event(media_id, None, after, mediaType=media_type, occurredAt=at(ago))


def history() -> list[dict]:
    hours, days = timedelta(hours=2), timedelta(days=3)
    return [
        *(new_entry("movie", 1, "added", hours) for _ in range(3)),
        *(new_entry("tv", 1, "watching", hours) for _ in range(2)),
        *(new_entry("tv", 1, "added", days) for _ in range(5)),
        *(new_entry("movie", 2, "added", timedelta(days=20)) for _ in range(10)),
        *(new_entry("tv", 2, "added", timedelta(days=40)) for _ in range(20)),
        new_entry("movie", 3, "watched", hours),  # neither an add nor a start
    ]


@pytest.fixture
def applied(client, consumer, prefix, kafka_bootstrap):
    """The history above, applied; returns the client."""
    events = history()
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    return client


def ranked(client, query: str) -> list[tuple[str, int, int, int]]:
    body = client.get(f"/mediastatistics/trending?{query}").get_json()
    return [(i["mediaType"], i["mediaId"], i["adds"], i["starts"]) for i in body["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("period=day", [("movie", 1, 3, 0), ("tv", 1, 0, 2)]),
        ("period=week", [("tv", 1, 5, 2), ("movie", 1, 3, 0)]),
        ("", [("tv", 1, 5, 2), ("movie", 1, 3, 0)]),
        ("period=month", [("movie", 2, 10, 0), ("tv", 1, 5, 2), ("movie", 1, 3, 0)]),
        ("period=month&mediaType=tv", [("tv", 1, 5, 2)]),
        ("period=month&mediaType=movie", [("movie", 2, 10, 0), ("movie", 1, 3, 0)]),
        ("period=day&mediaType=tv", [("tv", 1, 0, 2)]),
        ("period=month&limit=1", [("movie", 2, 10, 0)]),
    ],
)
def test_trending_ranks_adds_and_starts_in_the_window(applied, query, expected):
    assert ranked(applied, query) == expected


def test_a_window_starts_at_the_hour_one_period_ago(applied):
    body = applied.get("/mediastatistics/trending?period=day").get_json()
    since = datetime.fromisoformat(body["since"].replace("Z", "+00:00"))
    assert body["period"] == "day"
    assert since.minute == since.second == 0
    assert timedelta(days=1) <= datetime.now(UTC) - since < timedelta(days=1, hours=1, minutes=5)


def test_events_older_than_the_longest_period_are_not_kept(app, applied):
    with app.app_context():
        oldest = db.session.execute(text("SELECT min(bucket) FROM trending_buckets")).scalar()
        kinds = db.session.execute(
            text("SELECT DISTINCT media_type, media_id FROM trending_buckets")
        )
        stored = set(kinds)
    assert oldest >= trending.since("month", datetime.now(UTC))
    assert ("tv", 2) not in stored and ("movie", 3) not in stored


def test_the_worker_prunes_hours_before_every_window(app, applied):
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO trending_buckets (bucket, media_type, media_id, adds, starts) "
                "VALUES (:old, 'tv', 9, 4, 0), (:kept, 'tv', 9, 1, 0)"
            ),
            {"old": trending.hour_of(NOW - timedelta(days=45)), "kept": trending.hour_of(NOW)},
        )
        db.session.commit()
        assert trending.prune(db.engine) == 1
        rows = db.session.execute(
            text("SELECT adds FROM trending_buckets WHERE media_id = 9")
        ).scalars()
        assert list(rows) == [1]


def test_moving_the_windows_on_takes_the_hours_that_left_out_of_the_totals(app, applied):
    later = datetime.now(UTC) + timedelta(days=2)
    with app.app_context():
        assert trending.roll(db.engine, later, STATS_LOCK_ID) == 3
        assert trending.roll(db.engine, later, STATS_LOCK_ID) == 0  # already there
    assert ranked(applied, "period=day") == []
    assert ranked(applied, "period=week") == [("tv", 1, 5, 2), ("movie", 1, 3, 0)]
    much_later = datetime.now(UTC) + timedelta(days=5)
    with app.app_context():
        trending.roll(db.engine, much_later, STATS_LOCK_ID)
        totals = db.session.execute(text("SELECT count(*) FROM trending_totals")).scalar()
    assert ranked(applied, "period=week") == [("movie", 1, 3, 0), ("tv", 1, 0, 2)]
    assert ranked(applied, "period=month") == [
        ("movie", 2, 10, 0), ("tv", 1, 5, 2), ("movie", 1, 3, 0)
    ]  # fmt: skip
    assert totals == 3 + 2  # month's three titles and week's two; titles at zero are dropped


def test_a_status_change_into_watching_is_a_start_and_a_rating_change_is_not(
    client, consumer, prefix, kafka_bootstrap
):
    person = str(uuid.uuid4())
    added = {**entry("added"), "userId": person}
    watching = {**entry("watching"), "userId": person}
    rated = {**entry("watching", 8), "userId": person}
    events = [
        change_event(55, None, added, mediaType="tv"),
        change_event(55, added, watching, mediaType="tv"),
        change_event(55, watching, rated, mediaType="tv"),
    ]
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    assert ranked(client, "period=day&mediaType=tv") == [("tv", 55, 1, 1)]


def test_the_trending_read_uses_an_index(app):
    with app.app_context():
        db.session.execute(text("SET enable_seqscan = off"))
        plan = db.session.execute(
            text(
                "EXPLAIN SELECT media_id FROM trending_totals WHERE period = 'week' "
                "AND score > 0 ORDER BY score DESC, media_id, media_type LIMIT 10"
            )
        ).scalars()
        assert "ix_trending_totals_rank" in "\n".join(plan)


@pytest.mark.parametrize(
    "query", ["period=year", "period=", "mediaType=book", "mediaType=", "limit=0", "limit=101"]
)
def test_bad_trending_queries_are_422(client, query):
    assert assert_problem(client.get(f"/mediastatistics/trending?{query}"), 422)["errors"]
