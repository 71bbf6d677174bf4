"""One person's activity under the visibility rules, and the worker's handling of events:
exactly once, and refusing what no producer of the contract sends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from activity_service.models import db
from servicekit.contract import FRIENDSHIP_CHANGED, MEDIA_ENTRY_CHANGED, USER_DELETED
from tests.helpers import assert_problem

from .support import PersonalList


@pytest.fixture
def bobs_lists(feeds, alice, bob):
    """Bob (Alice's friend) added one title to a list of each visibility."""
    feeds.befriend(alice, bob)
    for media_id, visibility in enumerate(("private", "friends", "unlisted", "public"), 1):
        PersonalList(feeds, bob, visibility).add(media_id)
    feeds.apply()


def titles(page: dict) -> set[int]:
    return {item["mediaId"] for item in page["items"]}


@pytest.mark.usefixtures("bobs_lists")
def test_a_person_sees_all_their_own_activity(feeds, bob):
    assert titles(feeds.of(bob, bob)) == {1, 2, 3, 4}


@pytest.mark.usefixtures("bobs_lists")
def test_a_friend_sees_friends_and_public_lists(feeds, alice, bob):
    assert titles(feeds.of(bob, alice)) == {2, 4}


@pytest.mark.usefixtures("bobs_lists")
def test_a_stranger_and_anyone_without_a_token_see_public_lists(feeds, bob, carol):
    assert titles(feeds.of(bob, carol)) == {4}
    assert titles(feeds.of(bob)) == {4}


@pytest.mark.usefixtures("bobs_lists")
def test_an_ended_friendship_reads_as_a_stranger(feeds, alice, bob):
    feeds.unfriend(alice, bob)
    feeds.apply()
    assert titles(feeds.of(bob, alice)) == {4}


def test_someone_nobody_knows_has_an_empty_page_not_a_404(feeds, client):
    import uuid

    assert feeds.of(uuid.uuid4())["items"] == []
    assert client.get("/users/not-a-uuid/activity").status_code == 404


@pytest.mark.parametrize("params", [{"limit": "x"}, {"cursor": "%%%"}])
def test_bad_paging_of_a_person_is_422(client, bob, params):
    assert_problem(client.get(f"/users/{bob}/activity", query_string=params), 422)


def activity_count(app) -> int:
    with app.app_context():
        return db.session.execute(text("SELECT count(*) FROM activities")).scalar_one()


def test_each_event_applies_once_however_often_it_is_delivered(app, feeds, alice, bob):
    feeds.befriend(alice, bob)
    PersonalList(feeds, bob, "friends").add(603)
    feeds.apply()
    added = feeds.sent[-1]
    feeds.publish(added, added)  # the relay republishing the same row
    feeds.apply()
    assert activity_count(app) == 1
    assert len(feeds.feed(alice)["items"]) == 1


def dead_letter_reasons(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(text("SELECT reason FROM dead_letters ORDER BY id")).scalars()
        )


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        (MEDIA_ENTRY_CHANGED, b"not json", "value is not JSON"),
        (
            FRIENDSHIP_CHANGED,
            {
                "type": "friendship.changed",
                "state": "friends",
                "userIds": ["a", "b"],
                "occurredAt": "2026-12-01T00:00:00Z",
            },
            "userIds is not a UUID",
        ),
        (
            FRIENDSHIP_CHANGED,
            {
                "type": "friendship.changed",
                "state": "besties",
                "userIds": [],
                "occurredAt": "2026-12-01T00:00:00Z",
            },
            "state is not one of",
        ),
        (
            MEDIA_ENTRY_CHANGED,
            {"type": "media.entry_changed", "source": "elsewhere"},
            "source is not one of",
        ),
        (
            MEDIA_ENTRY_CHANGED,
            {
                "type": "media.entry_changed",
                "source": "watchlist",
                "mediaId": 1,
                "listId": "x",
                "before": None,
                "after": {"status": "added", "rating": None},
            },
            "after has no userId",
        ),
        (USER_DELETED, {"type": "user.deleted"}, "userId"),
    ],
)
def test_malformed_events_are_dead_lettered_and_change_nothing(app, feeds, topic, value, reason):
    if isinstance(value, dict):
        value = json.dumps({"eventId": "forged-1", **value}).encode()
    feeds.raw(topic, value)
    feeds.apply()
    [why] = dead_letter_reasons(app)
    assert reason in why
    assert activity_count(app) == 0
