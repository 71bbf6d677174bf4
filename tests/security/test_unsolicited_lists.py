"""Nobody can push shared lists at a stranger, nor flood a friend with invites."""

from friendswatchlist_service.invitations import MAX_PENDING_INVITES
from tests.helpers import sign_up

from .support import assert_problem


def test_a_stranger_or_someone_only_asked_cannot_send_a_shared_list(world):
    for sender in (world.bob, world.carol):  # no relation; a pending friend request
        offer = {"name": "Click me", "friendId": world.alice.user_id}
        assert_problem(sender.post("/friendswatchlists", json=offer), 403)
    invites = world.alice.get("/friendswatchlists/invites").json()["items"]
    assert [i for i in invites if i["name"] == "Click me"] == []


def test_invites_to_a_friend_stop_at_the_cap(gateway):
    sender, friend = sign_up(gateway, "Spammer"), sign_up(gateway, "Patient")
    asked = sender.post("/friends/requests", json={"userId": friend.user_id})
    assert friend.post(f"/friends/requests/{asked.json()['requestId']}/accept").status_code == 200
    offer = {"name": "Again", "friendId": friend.user_id}
    for _ in range(MAX_PENDING_INVITES):
        assert sender.post("/friendswatchlists", json=offer).status_code == 201
    assert_problem(sender.post("/friendswatchlists", json=offer), 409)
    assert friend.get("/friendswatchlists").json()["pendingInvites"] == MAX_PENDING_INVITES
