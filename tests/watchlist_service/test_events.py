"""Watchlist service: `media-entry-changed` events, read back from the real broker."""

import time
import uuid

import pytest
from confluent_kafka import Producer
from sqlalchemy import select
from sqlalchemy.orm import Session

from devstack.ports import free_port
from servicekit.messages import Event
from servicekit.relay import OutboxRelay, producer_config
from tests.watchlist_service.support import Caller, publish_all, read_topic
from watchlist_service.consumers import on_user_deleted
from watchlist_service.models import db, outbox

WATCHING_6 = {"status": "watching", "rating": 6}


def state(side: dict | None) -> dict | None:
    """Status and rating of one side (`userId`, `timesWatched`, `visibility` on their own)."""
    return (
        None
        if side is None
        else {k: v for k, v in side.items() if k not in ("userId", "timesWatched", "visibility")}
    )


# (what is done after adding the entry as watching/6, the events that follow the add's)
ACTIONS = {
    "status change": (
        ("PATCH", {"status": "watched"}),
        [(WATCHING_6, {"status": "watched", "rating": 6})],
    ),
    "rating change": (
        ("PATCH", {"rating": 9}),
        [(WATCHING_6, {"status": "watching", "rating": 9})],
    ),
    "rating cleared": (
        ("PATCH", {"rating": None}),
        [(WATCHING_6, {"status": "watching", "rating": None})],
    ),
    "status and rating": (
        ("PATCH", {"status": "dropped", "rating": 2, "progress": 4}),
        [(WATCHING_6, {"status": "dropped", "rating": 2})],
    ),
    "progress only": (("PATCH", {"progress": 12}), []),
    "same values again": (("PATCH", {"status": "watching", "rating": 6}), []),
    "entry delete": (("DELETE", None), [(WATCHING_6, None)]),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_entry_changes_emit_exact_events(caller, media_id, broker_events, action):
    (method, body), expected = ACTIONS[action]
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, status="watching", rating=6, progress=1)
    response = caller.request(method, f"/watchlists/{list_id}/media/{mid}", json=body)
    assert response.status_code in (200, 204)
    events = broker_events(list_id)
    assert [(state(e["before"]), state(e["after"])) for e in events] == [
        (None, WATCHING_6)
    ] + expected
    for event in events:
        # A personal list changes only by its owner, and its entries count for the owner.
        assert event["actorId"] == str(caller.user_id)
        for side in (event["before"], event["after"]):
            assert side is None or side["userId"] == str(caller.user_id)
            assert side is None or side["visibility"] == "private"  # a new list's
        assert event["key"] == str(mid) and event["mediaId"] == mid
        assert event["type"] == "media.entry_changed" and event["source"] == "watchlist"
        assert event["occurredAt"].endswith("Z") and uuid.UUID(event["eventId"])
    assert len({e["eventId"] for e in events}) == len(events)


def test_added_entry_event_has_contract_fields(caller, media_id, broker_events):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    (event,) = broker_events(list_id)
    assert set(event) - {"key"} == {
        "eventId",
        "type",
        "occurredAt",
        "source",
        "actorId",
        "listId",
        "mediaType",
        "mediaId",
        "before",
        "after",
    }
    assert event["mediaType"] == "movie"
    assert event["before"] is None
    assert event["after"] == {
        "status": "added",
        "rating": None,
        "timesWatched": 0,
        "userId": str(caller.user_id),
        "visibility": "private",
    }


def test_list_delete_emits_one_removal_per_entry(caller, media_id, broker_events):
    list_id = caller.new_list()
    states = {media_id(): ("watched", 9), media_id(): ("on_hold", None), media_id(): ("added", 3)}
    for mid, (status, rating) in states.items():
        caller.add(list_id, mid, status=status, rating=rating)
    assert caller.request("DELETE", f"/watchlists/{list_id}").status_code == 204
    removals = [e for e in broker_events(list_id) if e["after"] is None]
    removed = sorted((e["mediaId"], e["before"]["status"], e["before"]["rating"]) for e in removals)
    assert removed == [(mid, status, rating) for mid, (status, rating) in sorted(states.items())]
    assert all(e["key"] == str(e["mediaId"]) for e in removals)


def unsent_rows_of(app, list_id: str) -> list:
    with app.app_context():
        return db.session.execute(
            select(outbox.c.id, outbox.c.sent_at).where(
                outbox.c.payload["listId"].astext == list_id
            )
        ).all()


def test_writes_succeed_while_the_broker_is_unreachable(
    make_app, media_id, kafka_bootstrap, topic_prefix
):
    dead_broker = f"127.0.0.1:{free_port()}"
    app = make_app("watchlist_service", KAFKA_BOOTSTRAP_SERVERS=dead_broker)
    owner = Caller(app.test_client())
    list_id, mid = owner.new_list(), media_id()
    started = time.monotonic()
    owner.add(list_id, mid, status="watching")
    patched = owner.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"rating": 4})
    assert patched.status_code == 200
    assert time.monotonic() - started < 1.0
    dead_producer = Producer(producer_config(dead_broker, **{"message.timeout.ms": 500}))
    with app.app_context():
        dead_relay = OutboxRelay(db.engine, outbox, dead_producer, topic_prefix=topic_prefix)
        assert dead_relay.publish_batch() == 0
    assert dead_relay.last_failures >= 2
    rows = unsent_rows_of(app, list_id)
    assert len(rows) == 2 and all(row.sent_at is None for row in rows)

    publish_all(app, kafka_bootstrap, topic_prefix)
    assert all(row.sent_at is not None for row in unsent_rows_of(app, list_id))
    events = [
        e
        for e in read_topic(kafka_bootstrap, topic_prefix + "media-entry-changed")
        if e.get("listId") == list_id
    ]
    assert [state(e["after"]) for e in events] == [
        {"status": "watching", "rating": None},
        {"status": "watching", "rating": 4},
    ]


def test_user_deleted_handler_removes_lists_and_emits_removals(app, client, media_id):
    gone, kept = Caller(client), Caller(client)
    gone_lists = [gone.new_list("A"), gone.new_list("B")]
    mids = [media_id(), media_id()]
    gone.add(gone_lists[0], mids[0], status="watched", rating=7)
    gone.add(gone_lists[1], mids[1])
    kept_list = kept.new_list()
    kept.add(kept_list, mids[0])
    events = [
        Event("user-deleted", 0, 1, str(gone.user_id), _user_deleted(gone.user_id)),
        Event("user-deleted", 0, 2, None, {"eventId": str(uuid.uuid4()), "userId": "nope"}),
    ]
    with app.app_context(), Session(db.engine) as session, session.begin():
        refused = on_user_deleted(session, events)
    assert [(e.offset, reason) for e, reason in refused] == [
        (2, "user.deleted without a valid userId")
    ]
    assert gone.request("GET", "/watchlists").get_json()["items"] == []
    assert kept.show(kept_list)["mediaCount"] == 1
    with app.app_context():
        payloads = db.session.scalars(
            select(outbox.c.payload).where(outbox.c.payload["after"].as_string().is_(None))
        ).all()
    removals = {(p["listId"], p["mediaId"]): p["before"] for p in payloads if p["after"] is None}
    gone_id = str(gone.user_id)
    assert removals[(gone_lists[0], mids[0])] == {
        "status": "watched",
        "rating": 7,
        "timesWatched": 1,  # added as watched: one watch
        "userId": gone_id,
        "visibility": "private",
    }
    assert removals[(gone_lists[1], mids[1])] == {
        "status": "added",
        "rating": None,
        "timesWatched": 0,
        "userId": gone_id,
        "visibility": "private",
    }
    assert (kept_list, mids[0]) not in removals
    assert {p["actorId"] for p in payloads if p["listId"] in gone_lists} == {gone_id}


def _user_deleted(user_id) -> dict:
    return {
        "eventId": str(uuid.uuid4()),
        "type": "user.deleted",
        "occurredAt": "2026-01-01T00:00:00.000Z",
        "userId": str(user_id),
    }
