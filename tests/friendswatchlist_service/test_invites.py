"""A shared list may be offered only to an accepted friend, and not without limit."""

import time

import pytest
import requests

from devstack.ports import free_port
from friendswatchlist_service.invitations import MAX_PENDING_INVITES
from tests.helpers import assert_problem, identity


def invite(client, owner, friend, name="Offer"):
    return client.post(
        "/friendswatchlists", json={"name": name, "friendId": str(friend)}, headers=identity(owner)
    )


def test_inviting_a_stranger_is_403_and_creates_nothing(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    assert "friend" in assert_problem(invite(client, ann, ben), 403)["detail"]
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0


def test_a_pending_friend_request_is_not_enough(client, lists, make_user, friends_service):
    ann, ben = make_user("Ann"), make_user("Ben")
    asked = requests.post(
        f"{friends_service.url}/friends/requests",
        json={"userId": str(ben)},
        headers=identity(ann),
        timeout=5,
    )
    assert asked.status_code == 201
    assert_problem(invite(client, ann, ben), 403)
    assert_problem(invite(client, ben, ann), 403)
    assert lists.overview(ben)["pendingInvites"] == 0


def test_an_ex_friend_cannot_be_invited(client, lists, make_user, friends_service):
    ann, ben = make_user("Ann"), make_user("Ben")
    lists.create(ann, ben)
    gone = requests.delete(f"{friends_service.url}/friends/{ben}", headers=identity(ann), timeout=5)
    assert gone.status_code == 204
    assert_problem(invite(client, ann, ben), 403)
    assert lists.overview(ben)["pendingInvites"] == 1  # the earlier invite stays


def test_pending_invites_are_capped_per_owner(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    first = lists.create(ann, ben, "1")
    for i in range(2, MAX_PENDING_INVITES + 1):
        lists.create(ann, ben, str(i))
    assert "unanswered" in assert_problem(invite(client, ann, ben, "one too many"), 409)["detail"]
    assert lists.overview(ben)["pendingInvites"] == MAX_PENDING_INVITES
    assert (
        client.post(f"/friendswatchlists/{first}/accept", headers=identity(ben)).status_code == 200
    )
    assert invite(client, ann, ben, "room again").status_code == 201


@pytest.fixture(params=["stopped", "frozen"])
def no_friends_service(request, make_app, user_service):
    """The service with its friends service stopped (closed port) or frozen (3 s)."""
    if request.param == "stopped":
        url = f"http://127.0.0.1:{free_port()}"
    else:
        url = request.getfixturevalue("slow_server")
    return make_app(
        "friendswatchlist_service", USER_SERVICE_URL=user_service.url, FRIENDS_SERVICE_URL=url
    ).test_client()


def test_friends_service_away_is_a_quick_503_and_creates_nothing(
    no_friends_service, lists, make_user
):
    ann, ben = make_user("Ann"), make_user("Ben")
    lists.befriend(ann, ben)
    started = time.monotonic()
    problem = assert_problem(invite(no_friends_service, ann, ben), 503)
    assert time.monotonic() - started < 2.5
    assert "friends service" in problem["detail"]
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0
