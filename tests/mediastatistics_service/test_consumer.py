"""Media statistics consumer: exact counters from events, duplicates, poison, lag."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from mediastatistics_service.events import parse_change
from mediastatistics_service.models import db
from mediastatistics_service.worker import build_consumer
from servicekit.messages import PoisonEvent
from tests.mediastatistics_service.support import (
    Ledger,
    change_event,
    drain,
    entry,
    produce,
)

MEDIA = [101, 202, 303]


def counters(client, media_id):
    body = client.get(f"/mediastatistics/{media_id}").get_json()
    body.pop("updatedAt")
    return body


def scripted_ledger() -> Ledger:
    ledger = Ledger()
    a = ledger.add(101, "watching", 8)
    b = ledger.add(101, "added", source="friendswatchlist")
    c = ledger.add(101, "watched", 6, source="friendswatchlist")
    d = ledger.add(202, "on_hold")
    ledger.add(303, "dropped", 2)
    ledger.update(a, status="watched")
    ledger.update(b, status="watching", rating=9)
    ledger.update(c, rating=None)
    ledger.update(d, status="dropped", rating=4)
    ledger.update(a, rating=10)
    ledger.remove(c)
    e = ledger.add(202, "watching", 7, source="friendswatchlist")
    ledger.remove(e)
    return ledger


def test_scripted_changes_from_both_sources_give_exact_counters(
    client, consumer, prefix, kafka_bootstrap
):
    ledger = scripted_ledger()
    produce(kafka_bootstrap, prefix, ledger.events)
    drain(consumer, len(ledger.events))
    for media_id in MEDIA:
        assert counters(client, media_id) == ledger.expected(media_id)
    assert counters(client, 101)["ratingAverage"] == 9.5
    assert client.get("/mediastatistics/101").get_json()["updatedAt"].endswith("Z")


def test_same_events_delivered_twice_change_nothing(app, client, consumer, prefix, kafka_bootstrap):
    ledger = scripted_ledger()
    produce(kafka_bootstrap, prefix, ledger.events)
    drain(consumer, len(ledger.events))
    before = [counters(client, m) for m in MEDIA]
    produce(kafka_bootstrap, prefix, ledger.events)  # the relay republishing every row
    drain(consumer, len(ledger.events))
    replay = build_consumer(app, **{"group.id": "replay-from-the-start"})
    try:
        drain(replay, 2 * len(ledger.events))
    finally:
        replay.close()
    assert [counters(client, m) for m in MEDIA] == before


def test_duplicates_within_one_batch_apply_once(client, consumer, prefix, kafka_bootstrap):
    body = change_event(404, None, entry("watching", 5))
    produce(kafka_bootstrap, prefix, [body, body, body])
    drain(consumer, 3)
    assert counters(client, 404)["watching"] == 1
    assert counters(client, 404)["ratingCount"] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "media.deleted"}, "type"),
        ({"mediaId": "5"}, "mediaId"),
        ({"mediaId": True}, "mediaId"),
        ({"mediaId": 0}, "mediaId"),
        ({"mediaId": 2**63}, "mediaId"),
        ({"source": "elsewhere"}, "source"),
        ({"occurredAt": "yesterday"}, "occurredAt"),
        ({"before": None, "after": None}, "both null"),
        ({"after": {"status": "loved", "rating": None}}, "status"),
        ({"after": {"status": "watched"}}, "after"),
        ({"after": {"status": "watched", "rating": 11}}, "rating"),
        ({"after": {"status": "watched", "rating": 7.5}}, "rating"),
        ({"after": {"status": "watched", "rating": True}}, "rating"),
        ({"before": "watched"}, "before"),
    ],
)
def test_invalid_events_are_refused_with_a_reason(change, reason):
    body = change_event(7, None, entry("watched", 3)) | change
    with pytest.raises(PoisonEvent, match=reason):
        parse_change(body)


@pytest.mark.parametrize("missing", ["mediaId", "before", "after", "type", "source"])
def test_events_missing_a_field_are_refused(missing):
    body = change_event(7, None, entry("watched"))
    del body[missing]
    with pytest.raises(PoisonEvent):
        parse_change(body)


def test_poison_messages_are_dead_lettered_and_following_events_apply(
    app, client, consumer, prefix, kafka_bootstrap
):
    good_before = change_event(505, None, entry("watching", 6))
    poison = [
        b"{not json",
        json.dumps({"type": "media.entry_changed", "mediaId": 505}).encode(),  # no eventId
        change_event(505, None, entry("watching"), type="media.deleted"),
        {k: v for k, v in change_event(505, None, entry("added")).items() if k != "mediaId"},
        change_event(505, entry("dropped"), None),  # would take dropped below zero
    ]
    good_after = change_event(
        505, entry("watching", 6), entry("watched", 8), listId=good_before["listId"]
    )
    positions = produce(kafka_bootstrap, prefix, [good_before, *poison, good_after])
    drain(consumer, 7)
    assert counters(client, 505) | {"ratingAverage": None} == {
        "mediaType": "movie",
        "mediaId": 505,
        "added": 0,
        "watching": 0,
        "watched": 1,
        "onHold": 0,
        "dropped": 0,
        "total": 1,
        "ratingCount": 1,
        "ratingAverage": None,
        "ratingDistribution": {str(r): int(r == 8) for r in range(1, 11)},
    }
    with app.app_context():
        rows = db.session.execute(
            text('SELECT "partition", "offset", reason FROM dead_letters ORDER BY id')
        ).all()
    assert {(r.partition, r.offset) for r in rows} == set(positions[1:6])
    assert any("below zero" in r.reason for r in rows)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "wlt_dead_letters_stored 5.0" in metrics


def test_event_going_negative_midway_is_refused_alone(client, consumer, prefix, kafka_bootstrap):
    one_list = {"listId": "one list, as events without userId count it"}
    events = [
        change_event(606, None, entry("watching", 4), **one_list),
        change_event(606, entry("watched"), None, **one_list),  # nothing was watched yet
        change_event(606, entry("watching", 4), entry("watched", 4), **one_list),
        change_event(606, None, entry("added")),
    ]
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, 4)
    stats = counters(client, 606)
    assert (stats["watching"], stats["watched"], stats["added"], stats["ratingCount"]) == (
        0,
        1,
        1,
        1,
    )


def test_lag_and_last_event_age_are_reported(app, client, prefix, kafka_bootstrap):
    ledger = Ledger()
    for _ in range(10):
        ledger.add(707, "watching")
    produce(kafka_bootstrap, prefix, ledger.events)
    slow = build_consumer(app)
    slow._batch = 3  # one small poll leaves a known backlog on the partition
    try:
        while slow.poll_once() == 0:
            pass
        details = client.get("/health/ready").get_json()["checks"]["consumer"]
        assert details["ok"] is True
        assert details["details"]["lagEvents"] == 7
        assert "wlt_consumer_lag_events 7.0" in client.get("/metrics").get_data(as_text=True)
        drain(slow, 7)
        slow.record()
    finally:
        slow.close()
    details = client.get("/health/ready").get_json()["checks"]["consumer"]["details"]
    assert details["lagEvents"] == 0
    assert 0 <= details["lastEventAgeSeconds"] < 60
    assert "wlt_last_event_age_seconds" in client.get("/metrics").get_data(as_text=True)
