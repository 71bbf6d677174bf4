"""The friends service tells other services whether two people are friends."""

import pytest

from tests.helpers import assert_problem, identity, service_headers


def friendship(client, a, b, headers=None):
    return client.get(
        f"/internal/friendships/{a}/{b}",
        headers=headers or service_headers("friendswatchlist", "friends"),
    )


def test_only_accepted_friends_are_friends_either_way_round(client, make_user):
    ann, ben, cat = make_user("Ann"), make_user("Ben"), make_user("Cat")
    sent = client.post("/friends/requests", json={"userId": str(ben)}, headers=identity(ann))
    client.post("/friends/requests", json={"userId": str(cat)}, headers=identity(ann))
    assert friendship(client, ann, ben).get_json() == {"friends": False, "since": None}
    request_id = sent.get_json()["requestId"]
    client.post(f"/friends/requests/{request_id}/accept", headers=identity(ben))
    for a, b in ((ann, ben), (ben, ann)):
        body = friendship(client, a, b).get_json()
        assert body["friends"] is True and body["since"].endswith("Z")
    assert friendship(client, ann, cat).get_json()["friends"] is False  # only asked
    client.delete(f"/friends/{ben}", headers=identity(ann))
    assert friendship(client, ann, ben).get_json()["friends"] is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Service-Token": "wrong"},
        identity("00000000-0000-0000-0000-000000000001"),
        service_headers("auth", "friends"),  # a real credential of a service that may not
    ],
)
def test_the_friendship_check_needs_the_service_credential(client, make_user, headers):
    ann, ben = make_user("Ann"), make_user("Ben")
    assert_problem(client.get(f"/internal/friendships/{ann}/{ben}", headers=headers), 403)


@pytest.mark.parametrize("caller", ["friendswatchlist", "mediastatistics", "watchlist"])
def test_the_services_that_decide_by_friendship_may_ask(client, make_user, caller):
    ann, ben = make_user("Ann"), make_user("Ben")
    answer = friendship(client, ann, ben, headers=service_headers(caller, "friends"))
    assert answer.status_code == 200 and answer.get_json()["friends"] is False
