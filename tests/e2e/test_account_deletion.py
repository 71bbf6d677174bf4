"""Deleting an account: every service forgets the user (issue 5), through `user-deleted`."""

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
    problem,
    requests_of,
    shared_list,
    stats_become,
)
from tests.helpers import PASSWORD


def test_deleting_an_account_removes_the_user_everywhere(gateway):
    alice, bob, carol, dave = people(gateway, "Alice", "Bob", "Carol", "Dave")
    befriend(alice, bob)
    befriend(alice, carol)  # shared lists are offered only to friends
    assert alice.post("/friends/requests", json={"userId": dave.user_id}).status_code == 201

    only_hers, both, hers_shared, his_shared, in_his_list, invited, offered = (
        new_media_id() for _ in range(7)
    )
    first, second = personal_list(alice, "First"), personal_list(alice, "Second")
    add_media(alice, f"/watchlists/{first}", only_hers, status="watching", rating=8)
    add_media(alice, f"/watchlists/{second}", both, status="watched", rating=10)
    add_media(bob, f"/watchlists/{personal_list(bob)}", both, status="watched", rating=6)

    hers = shared_list(alice, bob, "Alice's")
    add_media(alice, f"/friendswatchlists/{hers}", hers_shared, status="dropped", rating=3)
    add_media(bob, f"/friendswatchlists/{hers}", his_shared, status="on_hold", rating=7)
    his = shared_list(bob, alice, "Bob's")
    add_media(alice, f"/friendswatchlists/{his}", in_his_list, status="watching")
    pending = alice.post("/friendswatchlists", json={"name": "Ask", "friendId": carol.user_id})
    assert pending.status_code == 201
    add_media(alice, f"/friendswatchlists/{pending.json()['listId']}", invited, rating=5)
    offer = carol.post("/friendswatchlists", json={"name": "Offer", "friendId": alice.user_id})
    assert offer.status_code == 201
    offer_path = f"/friendswatchlists/{offer.json()['listId']}"
    add_media(carol, offer_path, offered, status="watching")
    stats_become(gateway, invited, counters(status={"added": 1}, ratings=(5,)))
    stats_become(gateway, offered, counters(status={"watching": 1}))

    assert alice.delete(f"/auth/users/{alice.user_id}").status_code == 204
    problem(alice.get("/auth/me"), 401)
    problem(alice.get("/watchlists"), 401)

    def profile_is_gone():
        assert requests.get(f"{gateway}/users/{alice.user_id}", timeout=10).status_code == 404

    def friends_forgot_her():
        assert friend_ids(bob) == set() and friend_ids(carol) == set()
        assert requests_of(dave)["incoming"] == set()

    def shared_lists_forgot_her():
        handed = bob.get(f"/friendswatchlists/{hers}").json()
        assert handed["owner"]["userId"] == bob.user_id and handed["member"] is None
        kept = bob.get(f"/friendswatchlists/{his}").json()
        assert kept["owner"]["userId"] == bob.user_id and kept["member"] is None
        assert carol.get("/friendswatchlists/invites").json()["items"] == []
        assert carol.get("/friendswatchlists").json()["pendingInvites"] == 0
        assert carol.get(offer_path).status_code == 404  # her invite went with her

    for check in (profile_is_gone, friends_forgot_her, shared_lists_forgot_her):
        eventually(check, CASCADE_DEADLINE)

    stats_become(gateway, only_hers, counters(), CASCADE_DEADLINE)
    stats_become(gateway, both, counters(status={"watched": 1}, ratings=(6,)), CASCADE_DEADLINE)
    stats_become(gateway, invited, counters(), CASCADE_DEADLINE)
    stats_become(gateway, offered, counters(), CASCADE_DEADLINE)
    # Entries of lists that live on with Bob stay counted: they are his list's entries now.
    stats_become(gateway, hers_shared, counters(status={"dropped": 1}, ratings=(3,)))
    stats_become(gateway, his_shared, counters(status={"onHold": 1}, ratings=(7,)))
    stats_become(gateway, in_his_list, counters(status={"watching": 1}))
    media = {m["mediaId"] for m in bob.get(f"/friendswatchlists/{hers}").json()["media"]}
    assert media == {hers_shared, his_shared}
    problem(bob.post("/friends/requests", json={"userId": alice.user_id}), 404)
    problem(bob.post("/friendswatchlists", json={"name": "x", "friendId": alice.user_id}), 404)

    again = requests.post(
        f"{gateway}/auth/signup",
        json={"email": alice.email, "password": PASSWORD, "displayName": "Alice again"},
        timeout=10,
    )
    assert again.status_code == 201, again.text
    new = again.json()
    assert new["userId"] != alice.user_id
    profile = requests.get(f"{gateway}/users/{new['userId']}", timeout=10).json()
    assert profile["displayName"] == "Alice again"
    profile_is_gone()
    alice.token, alice.user_id = new["accessToken"], new["userId"]
    assert alice.get("/watchlists").json()["items"] == []
    assert alice.get("/friendswatchlists").json()["items"] == []
    assert friend_ids(alice) == set() and requests_of(alice)["outgoing"] == set()
