"""Shared lists: create, invites, accept, decline, leave, rename, delete, overview."""

import uuid

import pytest

from tests.helpers import assert_problem, identity


def test_creating_a_list_invites_the_friend(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    lists.befriend(ann, ben)
    response = client.post(
        "/friendswatchlists", json={"name": " Films ", "friendId": str(ben)}, headers=identity(ann)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Films"
    assert body["state"] == "pending"
    assert body["owner"] == {"userId": str(ann), "displayName": "Ann"}
    assert body["member"] is None
    assert body["invitee"] == {"userId": str(ben), "displayName": "Ben"}
    assert body["media"] == []
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")
    uuid.UUID(body["listId"])


def test_inviting_an_unknown_user_is_404_and_creates_nothing(client, lists, make_user):
    ann = make_user("Ann")
    response = client.post(
        "/friendswatchlists",
        json={"name": "X", "friendId": str(uuid.uuid4())},
        headers=identity(ann),
    )
    assert_problem(response, 404)
    assert lists.overview(ann)["items"] == []


def test_inviting_yourself_is_422(client, lists, make_user):
    ann = make_user("Ann")
    response = client.post(
        "/friendswatchlists", json={"name": "X", "friendId": str(ann)}, headers=identity(ann)
    )
    assert assert_problem(response, 422)["errors"]["friendId"]
    assert lists.overview(ann)["items"] == []


def test_invitee_sees_the_invite_with_owner_name(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.create(ann, ben, "Horror")
    body = client.get("/friendswatchlists/invites", headers=identity(ben)).get_json()
    assert len(body["items"]) == 1
    invite = body["items"][0]
    assert invite["listId"] == list_id and invite["name"] == "Horror"
    assert invite["owner"] == {"userId": str(ann), "displayName": "Ann"}
    assert invite["sentAt"].endswith("Z")
    assert client.get("/friendswatchlists/invites", headers=identity(ann)).get_json()["items"] == []


def test_overview_counts_pending_invites_and_shows_own_pending_lists(lists, make_user):
    ann, ben, cat = make_user("Ann"), make_user("Ben"), make_user("Cat")
    mine = lists.create(ann, ben, "Mine")
    lists.create(ben, ann, "From Ben")
    lists.create(cat, ann, "From Cat")
    overview = lists.overview(ann)
    assert overview["pendingInvites"] == 2
    assert [item["listId"] for item in overview["items"]] == [mine]
    item = overview["items"][0]
    assert set(item) == {"listId", "name", "owner", "member", "members", "state", "updatedAt"}
    assert item["state"] == "pending" and item["member"] is None
    (invited,) = item["members"]
    assert (invited["userId"], invited["displayName"], invited["state"]) == (
        str(ben),
        "Ben",
        "invited",
    )
    assert item["owner"]["displayName"] == "Ann"
    assert overview["nextCursor"] is None and "degraded" not in overview


def test_invitee_accepts_and_becomes_member(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.create(ann, ben)
    response = client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(ben))
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "active"
    assert body["member"] == {"userId": str(ben), "displayName": "Ben"}
    assert body["invitee"] is None
    assert lists.overview(ben)["pendingInvites"] == 0
    assert [i["listId"] for i in lists.overview(ben)["items"]] == [list_id]
    again = client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(ben))
    assert_problem(again, 404)


def test_invitee_declines_and_the_pending_list_is_gone(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.create(ann, ben)
    lists.add(ann, list_id, 5)
    response = client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(ben))
    assert response.status_code == 204
    assert lists.overview(ann)["items"] == []
    assert lists.overview(ben)["pendingInvites"] == 0
    assert_problem(lists.get(ann, list_id), 404)


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_only_the_invitee_answers_an_invite(client, lists, make_user, action):
    ann, ben, cat = make_user("Ann"), make_user("Ben"), make_user("Cat")
    list_id = lists.create(ann, ben)
    for who in (ann, cat):
        assert_problem(
            client.post(f"/friendswatchlists/{list_id}/{action}", headers=identity(who)), 404
        )
    assert lists.overview(ann)["items"][0]["state"] == "pending"
    assert lists.overview(ben)["pendingInvites"] == 1


def test_owner_leaving_hands_the_list_to_the_member(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 9)
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann)).status_code == 204
    )
    body = lists.get(ben, list_id).get_json()
    assert body["owner"]["userId"] == str(ben) and body["member"] is None
    assert body["state"] == "active" and [m["mediaId"] for m in body["media"]] == [9]
    assert_problem(lists.get(ann, list_id), 404)
    assert lists.overview(ann)["items"] == []


def test_member_leaving_just_leaves(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ben)).status_code == 204
    )
    body = lists.get(ann, list_id).get_json()
    assert body["owner"]["userId"] == str(ann) and body["member"] is None
    assert_problem(lists.get(ben, list_id), 404)


@pytest.mark.parametrize("accepted", [True, False], ids=["active-alone", "pending"])
def test_list_left_with_nobody_is_deleted(client, lists, make_user, accepted):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben) if accepted else lists.create(ann, ben)
    if accepted:
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ben))
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann)).status_code == 204
    )
    assert_problem(lists.get(ann, list_id), 404)
    assert lists.overview(ben)["pendingInvites"] == 0
    assert client.get("/friendswatchlists/invites", headers=identity(ben)).get_json()["items"] == []


def test_owner_and_member_rename(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    for who, name in ((ann, "By Ann"), (ben, "By Ben")):
        response = client.patch(
            f"/friendswatchlists/{list_id}", json={"name": name}, headers=identity(who)
        )
        assert response.status_code == 200 and response.get_json()["name"] == name
    assert lists.get(ann, list_id).get_json()["name"] == "By Ben"


def test_owner_deletes_the_list_for_both(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ben, list_id, 3)
    assert client.delete(f"/friendswatchlists/{list_id}", headers=identity(ann)).status_code == 204
    for who in (ann, ben):
        assert_problem(lists.get(who, list_id), 404)


def test_member_cannot_delete_shared_list(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    assert_problem(client.delete(f"/friendswatchlists/{list_id}", headers=identity(ben)), 403)
    assert lists.get(ben, list_id).status_code == 200


def test_overview_pages_with_a_cursor(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    made = [lists.create(ann, ben, f"L{i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        url = "/friendswatchlists?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=identity(ann)).get_json()
        assert len(page["items"]) <= 2 and page["pendingInvites"] == 0
        seen += [item["listId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "cursor=garbage", "limit=x"])
@pytest.mark.parametrize("path", ["/friendswatchlists", "/friendswatchlists/invites"])
def test_bad_paging_queries_are_422(client, path, query):
    assert assert_problem(client.get(f"{path}?{query}", headers=identity(uuid.uuid4())), 422)[
        "errors"
    ]


def test_openapi_document_lists_routes(client):
    doc = client.get("/friendswatchlists/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/friendswatchlists/{list_id}/media/{media_id}" in doc["paths"]
    assert "/friendswatchlists/invites" in doc["paths"]


def test_health_is_ready(client):
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"]
