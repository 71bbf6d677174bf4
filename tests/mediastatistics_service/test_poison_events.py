"""Poison values on the real topic are dead-lettered, stored exactly, and never stop the
consumer; a batch that keeps failing is retried a bounded number of times."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy import text

from mediastatistics_service import worker
from mediastatistics_service.events import on_media_entry_changed
from mediastatistics_service.models import db
from servicekit.consumer import BATCH_FAILURES
from servicekit.poison import ESCAPED_NOTE
from tests.mediastatistics_service.support import change_event, drain, entry, produce


def dead_letters(app) -> list:
    with app.app_context():
        return db.session.execute(
            text('SELECT "partition", "offset", value, reason FROM dead_letters ORDER BY id')
        ).all()


def original_bytes(row) -> bytes:
    """The exact value a dead letter stands for, escaped or not."""
    if row.reason.endswith(ESCAPED_NOTE):
        return json.loads('"' + row.value + '"').encode("utf-8", "surrogateescape")
    return row.value.encode()


def deep_event() -> bytes:
    body = change_event(707, None, entry("added"))
    body["extra"] = json.loads("[" * 40 + "]" * 40)
    return json.dumps(body).encode()


POISON = {
    "not JSON, with NUL and invalid UTF-8": b"\x00\xff\xfe{garbage\x00",
    "raw NUL inside a JSON string": b'{"eventId": "a\x00b"}',
    "NUL escaped in JSON": json.dumps(
        change_event(707, None, entry("added"), listId="a\0b")
    ).encode(),
    "lone surrogate escaped in JSON": b'{"eventId": "x", "listId": "\\udadc"}',
    "lone surrogate as its three bytes": b'{"eventId": "x", "listId": "\xed\xa0\x80"}',
    "NUL escaped in UTF-16 JSON": '{"eventId": "x", "listId": "a\\u0000b"}'.encode("utf-16-le"),
    "50,000 open brackets": b"[" * 50_000,
    "40 levels deep": deep_event(),
}


def test_poison_values_are_dead_lettered_exactly_and_the_consumer_moves_on(
    app, client, consumer, prefix, kafka_bootstrap
):
    first = change_event(707, None, entry("watching", 6))
    last = change_event(707, None, entry("watched"))
    positions = produce(kafka_bootstrap, prefix, [first, *POISON.values(), last])
    drain(consumer, len(positions))
    stats = client.get("/mediastatistics/707").get_json()
    assert (stats["watching"], stats["watched"], stats["ratingCount"]) == (1, 1, 1)
    rows = dead_letters(app)
    assert [(r.partition, r.offset) for r in rows] == positions[1:-1]
    for row, (name, value) in zip(rows, POISON.items(), strict=True):
        assert original_bytes(row) == value, name
        assert "\x00" not in row.value and "\x00" not in row.reason, name
    reasons = [r.reason for r in rows]
    assert "not JSON" in reasons[0] and reasons[0].endswith(ESCAPED_NOTE)
    assert "not JSON" in reasons[1]
    assert all("NUL character or an unpaired surrogate" in r for r in reasons[2:6])
    assert "nested" in reasons[6] and "nested" in reasons[7]


@pytest.fixture
def failing_consumer(app, monkeypatch):
    """The service's consumer whose handler crashes on any batch holding a `boom` event."""
    calls = {"batches": 0}

    def handler(session, events):
        calls["batches"] += 1
        if any("boom" in e.body for e in events):
            raise RuntimeError("a bug the event triggers")
        return on_media_entry_changed(session, events)

    monkeypatch.setattr(worker, "on_media_entry_changed", handler)
    loop = worker.build_consumer(app)
    loop.calls = calls
    yield loop
    loop.close()


def test_a_batch_that_keeps_failing_is_retried_with_backoff_then_only_the_culprit_dead_lettered(
    app, client, failing_consumer, prefix, kafka_bootstrap, caplog
):
    good = [change_event(808, None, entry("watching")) for _ in range(3)]
    boom = change_event(808, None, entry("dropped"), boom=True)
    positions = produce(kafka_bootstrap, prefix, [good[0], boom, good[1], good[2]])
    failures_before = BATCH_FAILURES.labels("apply")._value.get()
    stop = threading.Event()
    runner = threading.Thread(target=failing_consumer.run, args=(stop,))
    with caplog.at_level(logging.WARNING, logger="servicekit.consumer"):
        runner.start()
        try:
            deadline = 30
            while deadline > 0 and not dead_letters(app):
                stop.wait(0.2)
                deadline -= 0.2
            stop.wait(1)
        finally:
            stop.set()
            runner.join(15)
    rows = dead_letters(app)
    assert [(r.partition, r.offset) for r in rows] == [positions[1]]
    assert "RuntimeError: a bug the event triggers" in rows[0].reason
    assert json.loads(rows[0].value)["boom"] is True
    stats = client.get("/mediastatistics/808").get_json()
    assert (stats["watching"], stats["dropped"]) == (3, 0)
    failed = BATCH_FAILURES.labels("apply")._value.get() - failures_before
    assert failed == 5, failed  # MAX_ATTEMPTS, then message by message
    assert any("failed 5 times" in r.getMessage() for r in caplog.records)
    assert any("dead-lettered" in r.getMessage() for r in caplog.records)
