"""The `user-deleted` consumer: leave rules for every list the user is on or invited to."""

import json
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer
from sqlalchemy.orm import Session

from friendswatchlist_service.consumers import on_user_deleted
from friendswatchlist_service.models import db, dead_letters, processed_events
from servicekit.consumer import EventConsumer, consumer_config
from servicekit.contract import USER_DELETED
from servicekit.messages import Event
from servicekit.relay import producer_config
from tests.helpers import identity

from .test_events import queued


def deleted(user_id) -> Event:
    """A `user.deleted` event as the consumer loop hands it over."""
    body = {"eventId": str(uuid.uuid4()), "type": "user.deleted", "userId": str(user_id)}
    return Event(USER_DELETED, 0, 0, str(user_id), body)


def apply(app, *events: Event) -> list:
    """Run the handler in its own transaction, as the consumer loop does."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as session, session.begin():
        return on_user_deleted(session, list(events))


@pytest.fixture
def trio(lists, make_user):
    """Ann, Ben, Cat and Dan."""
    return [make_user(n) for n in ("Ann", "Ben", "Cat", "Dan")]


def test_deleted_owner_hands_the_list_to_the_member(app, lists, trio):
    ann, ben, *_ = trio
    list_id = lists.active(ann, ben)
    assert apply(app, deleted(ann)) == []
    body = lists.get(ben, list_id).get_json()
    assert body["owner"]["userId"] == str(ben) and body["member"] is None


def test_deleted_member_just_leaves(app, lists, trio):
    ann, ben, *_ = trio
    list_id = lists.active(ann, ben)
    apply(app, deleted(ben))
    body = lists.get(ann, list_id).get_json()
    assert body["owner"]["userId"] == str(ann) and body["member"] is None


def test_deleted_owners_pending_and_lonely_lists_go_with_removal_events(app, client, lists, trio):
    ann, ben, cat, _ = trio
    pending = lists.create(ann, ben)
    lonely = lists.active(ann, cat)
    client.post(f"/friendswatchlists/{lonely}/leave", headers=identity(cat))
    lists.add(ann, pending, 51, rating=2)
    lists.add(ann, lonely, 52)
    apply(app, deleted(ann))
    for list_id, media in ((pending, 51), (lonely, 52)):
        assert lists.get(ann, list_id).status_code == 404
        last = queued(app, list_id)[-1]
        assert (last["mediaId"], last["after"]) == (media, None)
    assert lists.overview(ben)["pendingInvites"] == 0


def test_invites_to_a_deleted_user_are_dropped(app, lists, trio):
    ann, ben, cat, dan = trio
    to_ben = lists.create(ann, ben)
    kept = lists.active(ann, cat)
    from_dan = lists.create(dan, ben)
    apply(app, deleted(ben))
    assert lists.get(ann, to_ben).status_code == 404
    assert lists.get(ann, kept).status_code == 200
    assert lists.get(dan, from_dan).status_code == 404
    assert lists.overview(ann)["items"][0]["listId"] == kept


def test_deleted_owner_of_a_group_hands_it_to_the_longest_standing_member(app, lists, trio):
    ann, ben, cat, dan = trio
    list_id = lists.active_group(ann, [cat, ben])
    lists.add(ann, list_id, 53)
    apply(app, deleted(ann))
    body = lists.get(cat, list_id).get_json()
    assert body["owner"]["userId"] == str(cat)
    assert [(m["userId"], m["state"]) for m in body["members"]] == [(str(ben), "active")]
    last = queued(app, list_id)[-1]
    assert (last["before"]["userId"], last["after"]["userId"]) == (str(ann), str(cat))


def test_deleted_member_of_a_group_leaves_the_others_and_every_invite(app, lists, trio):
    ann, ben, cat, dan = trio
    group = lists.active_group(ann, [ben, cat])
    invited = lists.group(dan, [ben, cat])
    apply(app, deleted(ben))
    body = lists.get(ann, group).get_json()
    assert [(m["userId"], m["state"]) for m in body["members"]] == [(str(cat), "active")]
    # Another invite still waits, so the pending list stays.
    assert [m["userId"] for m in lists.get(dan, invited).get_json()["members"]] == [str(cat)]
    assert lists.overview(ben)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0


@pytest.mark.parametrize("body", [{}, {"userId": "nope"}, {"userId": None}])
def test_events_without_a_valid_user_are_refused(app, body):
    event = Event(USER_DELETED, 0, 0, None, {"eventId": str(uuid.uuid4()), **body})
    assert apply(app, event) == [(event, "user.deleted without a valid userId")]


def test_worker_consumer_applies_user_deleted_from_the_broker(
    app, lists, trio, kafka_bootstrap, topic_prefix
):
    ann, ben, *_ = trio
    list_id = lists.active(ann, ben)
    producer = Producer(producer_config(kafka_bootstrap))
    body = {"eventId": str(uuid.uuid4()), "type": "user.deleted", "userId": str(ben)}
    producer.produce(topic_prefix + USER_DELETED, key=str(ben), value=json.dumps(body))
    assert producer.flush(10) == 0
    with app.app_context():
        engine = db.engine
    consumer = Consumer(
        consumer_config(kafka_bootstrap, f"fwl-test-{uuid.uuid4()}", **{"session.timeout.ms": 6000})
    )
    loop = EventConsumer(
        engine,
        consumer,
        {USER_DELETED: on_user_deleted},
        processed=processed_events,
        dead_letters=dead_letters,
        topic_prefix=topic_prefix,
    )
    deadline = time.monotonic() + 30
    try:
        while lists.get(ben, list_id).status_code == 200 and time.monotonic() < deadline:
            loop.poll_once()
    finally:
        consumer.close()
    assert lists.get(ben, list_id).status_code == 404
    assert lists.get(ann, list_id).get_json()["member"] is None
