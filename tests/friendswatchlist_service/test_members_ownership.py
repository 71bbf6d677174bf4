"""Owners of lists of more than two: removing people, handing over, and the leave rules."""

import pytest

from tests.helpers import assert_problem, identity

from .test_events import changes, people, queued
from .test_members import invite, members


@pytest.fixture
def trio(make_user):
    """Ann, Ben, Cat and Dan."""
    return [make_user(n) for n in ("Ann", "Ben", "Cat", "Dan")]


def test_the_owner_removes_a_member_who_then_gets_404(client, lists, trio):
    ann, ben, cat, _ = trio
    list_id = lists.active_group(ann, [ben, cat])
    lists.add(ben, list_id, 5)
    gone = client.delete(f"/friendswatchlists/{list_id}/members/{ben}", headers=identity(ann))
    assert gone.status_code == 204
    assert_problem(lists.get(ben, list_id), 404)
    assert_problem(
        client.patch(
            f"/friendswatchlists/{list_id}/media/movie/5", json={"rating": 1}, headers=identity(ben)
        ),
        404,
    )
    assert list_id not in {i["listId"] for i in lists.overview(ben)["items"]}
    body = lists.get(cat, list_id).get_json()
    assert members(body) == [(str(cat), "active")] and body["mediaCount"] == 1


def test_the_owner_withdraws_an_invite_and_the_pending_list_stays(client, lists, trio):
    ann, ben, *_ = trio
    list_id = lists.create(ann, ben)
    assert (
        client.delete(
            f"/friendswatchlists/{list_id}/members/{ben}", headers=identity(ann)
        ).status_code
        == 204
    )
    assert client.get("/friendswatchlists/invites", headers=identity(ben)).get_json()["items"] == []
    assert_problem(client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(ben)), 404)
    body = lists.get(ann, list_id).get_json()
    assert body["members"] == [] and body["state"] == "pending"
    assert invite(client, ann, list_id, ben).status_code == 201  # and may ask again


def test_who_may_remove_whom(client, lists, trio):
    ann, ben, cat, outsider = trio
    list_id = lists.active_group(ann, [ben, cat])
    path = f"/friendswatchlists/{list_id}/members"
    assert_problem(client.delete(f"{path}/{cat}", headers=identity(ben)), 403)
    assert_problem(client.delete(f"{path}/{cat}", headers=identity(outsider)), 404)
    assert_problem(client.delete(f"{path}/{ann}", headers=identity(ann)), 422)
    assert_problem(client.delete(f"{path}/{outsider}", headers=identity(ann)), 404)
    assert len(lists.get(ann, list_id).get_json()["members"]) == 2


def hand_over(client, owner, list_id, to):
    return client.post(
        f"/friendswatchlists/{list_id}/owner", json={"userId": str(to)}, headers=identity(owner)
    )


def test_hand_over_makes_a_member_the_owner_and_the_old_owner_a_member(app, client, lists, trio):
    ann, ben, cat, _ = trio
    list_id = lists.active_group(ann, [ben, cat])
    lists.add(ann, list_id, 61)
    lists.add(cat, list_id, 62, status="watched", rating=8)
    before = len(queued(app, list_id))

    handed = hand_over(client, ann, list_id, cat)
    assert handed.status_code == 200
    body = handed.get_json()
    assert body["owner"] == {"userId": str(cat), "displayName": "Cat"}
    assert members(body) == [(str(ann), "active"), (str(ben), "active")]
    assert body["member"]["userId"] == str(ann)  # on the list since it was made

    moved = queued(app, list_id)[before:]
    assert sorted(changes(moved)) == [
        (61, {"status": "added", "rating": None}, {"status": "added", "rating": None}),
        (62, {"status": "watched", "rating": 8}, {"status": "watched", "rating": 8}),
    ]
    assert people(moved) == [(str(ann), str(ann), str(cat))] * 2

    path = f"/friendswatchlists/{list_id}"
    assert_problem(client.delete(path, headers=identity(ann)), 403)
    assert_problem(hand_over(client, ann, list_id, ben), 403)
    assert (
        client.patch(
            f"{path}/media/movie/61", json={"rating": 3}, headers=identity(ann)
        ).status_code
        == 200
    )
    assert client.delete(path, headers=identity(cat)).status_code == 204
    assert_problem(lists.get(ann, list_id), 404)


def test_hand_over_needs_an_active_member(client, lists, trio):
    ann, ben, cat, dan = trio
    list_id = lists.active(ann, ben)
    lists.befriend(ann, cat)
    client.post(
        f"/friendswatchlists/{list_id}/members", json={"userId": str(cat)}, headers=identity(ann)
    )
    assert "accepted" in assert_problem(hand_over(client, ann, list_id, cat), 409)["detail"]
    assert_problem(hand_over(client, ann, list_id, dan), 404)
    assert_problem(hand_over(client, ann, list_id, ann), 422)
    assert_problem(hand_over(client, dan, list_id, ben), 404)
    assert lists.get(ann, list_id).get_json()["owner"]["userId"] == str(ann)


def test_a_leaving_owner_hands_the_list_to_the_longest_standing_member(app, client, lists, trio):
    ann, ben, cat, dan = trio
    list_id = lists.active_group(ann, [cat, ben])  # Cat accepts first
    lists.befriend(ann, dan)
    client.post(
        f"/friendswatchlists/{list_id}/members", json={"userId": str(dan)}, headers=identity(ann)
    )
    lists.add(ben, list_id, 71)
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann)).status_code == 204
    )
    body = lists.get(cat, list_id).get_json()
    assert body["owner"]["userId"] == str(cat)
    assert members(body) == [(str(ben), "active"), (str(dan), "invited")]
    assert people(queued(app, list_id)[-1:]) == [(str(ann), str(ann), str(cat))]
    assert_problem(lists.get(ann, list_id), 404)


def test_a_list_left_by_everyone_goes_with_its_events(app, client, lists, trio):
    ann, ben, cat, _ = trio
    list_id = lists.active_group(ann, [ben, cat])
    lists.add(cat, list_id, 81)
    for who in (ben, ann, cat):
        assert (
            client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(who)).status_code
            == 204
        )
    assert_problem(lists.get(cat, list_id), 404)
    last = queued(app, list_id)[-1]
    assert (last["mediaId"], last["after"]) == (81, None)


def test_declining_deletes_a_pending_list_only_with_its_last_invite(client, lists, trio):
    ann, ben, cat, _ = trio
    list_id = lists.group(ann, [ben, cat])
    assert (
        client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(ben)).status_code
        == 204
    )
    assert members(lists.get(ann, list_id).get_json()) == [(str(cat), "invited")]
    assert (
        client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(cat)).status_code
        == 204
    )
    assert_problem(lists.get(ann, list_id), 404)


def test_declining_the_last_invite_of_an_active_list_keeps_it(client, lists, trio):
    ann, ben, cat, _ = trio
    list_id = lists.active(ann, ben)
    client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ben))
    lists.befriend(ann, cat)
    client.post(
        f"/friendswatchlists/{list_id}/members", json={"userId": str(cat)}, headers=identity(ann)
    )
    assert (
        client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(cat)).status_code
        == 204
    )
    body = lists.get(ann, list_id).get_json()
    assert body["state"] == "active" and body["members"] == []
