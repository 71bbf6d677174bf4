"""The friends' feed: what friends did, on lists the reader may see now, newest first.

Real PostgreSQL, the real broker, the worker's own loop and the real user service.
"""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem, identity

from .support import PersonalList


def kinds(page: dict) -> list[tuple]:
    return [(item["type"], item["mediaId"]) for item in page["items"]]


def test_a_friends_changes_reach_the_feed_newest_first_with_names(feeds, alice, bob):
    feeds.befriend(alice, bob)
    films = PersonalList(feeds, bob, "friends")
    films.add(603)
    films.change(603, status="watching")
    films.change(603, status="watched")
    films.change(603, rating=9)
    films.change(603, status="on_hold")  # not news
    films.add(1399, status="watching", media_type="tv")
    feeds.apply()
    page = feeds.feed(alice)
    assert kinds(page) == [
        ("started", 1399),
        ("rated", 603),
        ("finished", 603),
        ("started", 603),
        ("added", 603),
    ]
    first = page["items"][0]
    assert first["actor"] == {"userId": str(bob), "displayName": "Bob"}
    assert first["listId"] == str(films.id) and first["mediaType"] == "tv"
    assert page["items"][1]["rating"] == 9 and page["items"][1]["status"] == "watched"
    assert page["degraded"] is False and page["nextCursor"] is None
    assert feeds.feed(bob)["items"] == []  # one's own doings are not one's feed


def test_only_friends_see_it(feeds, alice, bob, carol):
    feeds.befriend(alice, bob)
    PersonalList(feeds, bob, "public").add(603)
    feeds.apply()
    assert len(feeds.feed(alice)["items"]) == 1
    assert feeds.feed(carol)["items"] == []


@pytest.mark.parametrize(
    ("visibility", "shown"),
    [("private", False), ("unlisted", False), ("friends", True), ("public", True)],
)
def test_the_lists_visibility_decides(feeds, alice, bob, visibility, shown):
    feeds.befriend(alice, bob)
    PersonalList(feeds, bob, visibility).add(603)
    feeds.apply()
    assert len(feeds.feed(alice)["items"]) == (1 if shown else 0)


def test_a_list_made_private_later_leaves_the_feed_and_comes_back(feeds, alice, bob):
    feeds.befriend(alice, bob)
    films = PersonalList(feeds, bob, "friends")
    films.add(603)
    films.add(604)
    feeds.apply()
    assert len(feeds.feed(alice)["items"]) == 2
    films.make("private")
    feeds.apply()
    assert feeds.feed(alice)["items"] == []
    films.make("public")
    feeds.apply()
    # made public: one activity for the list, however many entries announced it
    assert kinds(feeds.feed(alice)) == [("listPublic", None), ("added", 604), ("added", 603)]


def test_shared_lists_are_not_announced(feeds, alice, bob):
    from servicekit.contract import entry_state, media_entry_changed

    feeds.befriend(alice, bob)
    feeds.publish(
        media_entry_changed(
            source="friendswatchlist",
            list_id=uuid.uuid4(),
            media_id=603,
            media_type="movie",
            actor_id=bob,
            before=None,
            after=entry_state("added", None, 0),
            before_user_id=None,
            after_user_id=bob,
        )
    )
    feeds.apply()
    assert feeds.feed(alice)["items"] == []
    assert len(feeds.of(bob, bob)["items"]) == 1  # but they are the actor's own activity


def test_a_title_removed_from_a_list_leaves_the_feed(feeds, alice, bob):
    feeds.befriend(alice, bob)
    films = PersonalList(feeds, bob, "friends")
    films.add(603)
    films.add(604)
    films.change(603, status="watching")
    films.remove(603)
    feeds.apply()
    assert kinds(feeds.feed(alice)) == [("added", 604)]


def test_a_new_friend_brings_their_latest_activity_and_an_old_one_takes_it_away(feeds, alice, bob):
    films = PersonalList(feeds, bob, "friends")
    films.add(603)
    feeds.apply()
    assert feeds.feed(alice)["items"] == []
    feeds.befriend(alice, bob)
    feeds.apply()
    assert kinds(feeds.feed(alice)) == [("added", 603)]  # backfilled
    films.add(604)
    feeds.unfriend(alice, bob)
    feeds.apply()
    assert feeds.feed(alice)["items"] == []
    assert feeds.feed(bob)["items"] == []


def test_an_older_friendship_event_does_not_undo_a_newer_one(feeds, alice, bob):
    from servicekit.contract import ENDED, FRIENDS, friendship_changed

    older = friendship_changed(user_ids=(alice, bob), state=FRIENDS, actor_id=bob)
    newer = friendship_changed(user_ids=(alice, bob), state=ENDED, actor_id=alice)
    older["payload"]["occurredAt"] = "2026-01-01T00:00:00.000Z"
    PersonalList(feeds, bob, "friends").add(603)
    feeds.publish(newer, older)  # delivered out of order
    feeds.apply()
    assert feeds.feed(alice)["items"] == []


def test_a_deleted_account_disappears_from_every_feed(feeds, alice, bob, carol):
    feeds.befriend(alice, bob)
    feeds.befriend(carol, bob)
    feeds.befriend(alice, carol)
    PersonalList(feeds, bob, "public").add(603)
    PersonalList(feeds, carol, "friends").add(604)
    PersonalList(feeds, alice, "friends").add(605)
    feeds.apply()
    feeds.delete_account(bob)
    feeds.apply()
    assert kinds(feeds.feed(alice)) == [("added", 604)]
    assert kinds(feeds.feed(carol)) == [("added", 605)]
    assert feeds.of(bob, alice)["items"] == []
    assert feeds.of(bob, bob)["items"] == []


def test_pages_follow_each_other_without_gaps_or_repeats(feeds, alice, bob, carol):
    feeds.befriend(alice, bob)
    feeds.befriend(alice, carol)
    bobs, carols = PersonalList(feeds, bob, "friends"), PersonalList(feeds, carol, "public")
    for media_id in range(1, 13):
        (bobs if media_id % 2 else carols).add(media_id)
    feeds.apply()
    seen, cursor = [], None
    while True:
        page = feeds.feed(alice, limit=5, **({"cursor": cursor} if cursor else {}))
        seen += [item["mediaId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(range(12, 0, -1))


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"cursor": "nonsense"}, {"cursor": "WyJ4IiwxXQ"}],
)
def test_bad_paging_is_422(client, alice, params):
    response = client.get("/activity", query_string=params, headers=identity(alice))
    assert_problem(response, 422)


def test_the_feed_needs_a_caller(client):
    assert_problem(client.get("/activity"), 401)
