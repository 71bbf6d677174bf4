"""A worker that is down while an account is deleted catches up once it runs again.

These tests stop a worker of the session's shared stack and always start it again.
"""

from contextlib import contextmanager

import requests

from tests.e2e.support import (
    CASCADE_DEADLINE,
    add_media,
    befriend,
    counters,
    eventually,
    friend_ids,
    new_media_id,
    people,
    personal_list,
    shared_list,
    stats_become,
)

CATCH_UP_DEADLINE = 30.0  # the restarted worker's start and consumer-group join come first


@contextmanager
def stopped(stack, name: str):
    """Keep one supervised process down for the block; start it again whatever happens."""
    process = stack.process(name)
    process.pause_restarts()
    try:
        process.stop()
        assert not process.running
        yield
    finally:
        process.start()
        process.resume_restarts()


def profile_gone(gateway, user_id):
    assert requests.get(f"{gateway}/users/{user_id}", timeout=10).status_code == 404


def has_no_friends(api):
    assert friend_ids(api) == set()


def test_a_friendship_outlives_a_deletion_until_the_friends_worker_returns(gateway, stack):
    alice, bob = people(gateway, "Alice", "Bob")
    befriend(alice, bob)
    media = new_media_id()
    add_media(alice, f"/watchlists/{personal_list(alice)}", media, status="watching")
    list_id = shared_list(alice, bob)
    stats_become(gateway, media, counters(status={"watching": 1}))

    with stopped(stack, "friends-worker"):
        assert alice.delete(f"/auth/users/{alice.user_id}").status_code == 204
        eventually(lambda: profile_gone(gateway, alice.user_id), CASCADE_DEADLINE)
        stats_become(gateway, media, counters(), CASCADE_DEADLINE)

        def handed_over():
            assert bob.get(f"/friendswatchlists/{list_id}").json()["member"] is None

        eventually(handed_over, CASCADE_DEADLINE)
        assert friend_ids(bob) == {alice.user_id}  # nobody has told the friends service yet

    eventually(lambda: has_no_friends(bob), CATCH_UP_DEADLINE)


def test_statistics_catch_up_when_the_watchlist_worker_returns(gateway, stack):
    alice, bob = people(gateway, "Alice", "Bob")
    befriend(alice, bob)
    media = new_media_id()
    add_media(alice, f"/watchlists/{personal_list(alice)}", media, status="watched", rating=9)
    add_media(bob, f"/watchlists/{personal_list(bob)}", media, status="watched", rating=5)
    both = counters(status={"watched": 2}, ratings=(9, 5))
    stats_become(gateway, media, both)

    with stopped(stack, "watchlist-worker"):
        assert alice.delete(f"/auth/users/{alice.user_id}").status_code == 204
        eventually(lambda: profile_gone(gateway, alice.user_id), CASCADE_DEADLINE)
        eventually(lambda: has_no_friends(bob), CASCADE_DEADLINE)
        # Her list still exists, so no removal event has been produced yet.
        stats_become(gateway, media, both)

    stats_become(gateway, media, counters(status={"watched": 1}, ratings=(5,)), CATCH_UP_DEADLINE)
