"""Media entries of shared lists: same bodies, codes and validation as personal watchlists."""

import uuid

import pytest

from tests.helpers import assert_problem, identity


@pytest.fixture
def shared(lists, make_user):
    """An active list of Ann (owner) and Ben (member)."""
    ann, ben = make_user("Ann"), make_user("Ben")
    return ann, ben, lists.active(ann, ben)


def test_member_adds_and_owner_sees_the_entry(client, lists, shared):
    ann, ben, list_id = shared
    entry = lists.add(ben, list_id, 42, status="watching", progress=3, rating=7)
    assert entry["mediaId"] == 42 and entry["status"] == "watching"
    assert entry["progress"] == 3 and entry["rating"] == 7
    assert entry["addedAt"].endswith("Z") and entry["updatedAt"].endswith("Z")
    assert lists.get(ann, list_id).get_json()["media"] == [entry]


def test_entry_defaults_to_added(lists, shared):
    ann, _, list_id = shared
    entry = lists.add(ann, list_id, 1)
    assert (entry["status"], entry["progress"], entry["rating"]) == ("added", None, None)


def test_adding_the_same_media_twice_is_409(client, lists, shared):
    ann, ben, list_id = shared
    lists.add(ann, list_id, 8)
    again = client.post(
        f"/friendswatchlists/{list_id}/media", json={"mediaId": 8}, headers=identity(ben)
    )
    assert_problem(again, 409)


def test_patch_changes_fields_and_null_rating_clears(client, lists, shared):
    ann, ben, list_id = shared
    lists.add(ann, list_id, 4, rating=6)
    url = f"/friendswatchlists/{list_id}/media/4"
    body = client.patch(url, json={"status": "watched", "progress": 10}, headers=identity(ben))
    assert body.status_code == 200
    assert body.get_json()["status"] == "watched" and body.get_json()["rating"] == 6
    cleared = client.patch(url, json={"rating": None}, headers=identity(ann)).get_json()
    assert cleared["rating"] is None and cleared["progress"] == 10


def test_delete_removes_the_entry(client, lists, shared):
    ann, _, list_id = shared
    lists.add(ann, list_id, 4)
    url = f"/friendswatchlists/{list_id}/media/4"
    assert client.delete(url, headers=identity(ann)).status_code == 204
    assert lists.get(ann, list_id).get_json()["media"] == []
    assert_problem(client.delete(url, headers=identity(ann)), 404)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("media", ["5", "0", "99999999999999999999", "abc", "-1"])
def test_missing_or_bad_media_in_path_is_404(client, shared, method, media):
    ann, _, list_id = shared
    response = client.open(
        f"/friendswatchlists/{list_id}/media/{media}",
        method=method,
        json={"status": "watched"} if method == "PATCH" else None,
        headers=identity(ann),
    )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/friendswatchlists/not-a-uuid",
        f"/friendswatchlists/{uuid.uuid4()}",
        "/friendswatchlists/1/media",
    ],
)
def test_bad_or_unknown_list_ids_are_404(client, path):
    assert_problem(client.get(path, headers=identity(uuid.uuid4())), 404)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mediaId": 0},
        {"mediaId": -3},
        {"mediaId": True},
        {"mediaId": "12"},
        {"mediaId": 1.5},
        {"mediaId": 2**63},
        {"mediaId": None},
        {"mediaId": 1, "status": "finished"},
        {"mediaId": 1, "status": None},
        {"mediaId": 1, "progress": -1},
        {"mediaId": 1, "progress": 2**31},
        {"mediaId": 1, "progress": "3"},
        {"mediaId": 1, "rating": 0},
        {"mediaId": 1, "rating": 11},
        {"mediaId": 1, "rating": 5.5},
        {"mediaId": 1, "rating": False},
        {"mediaId": 1, "listId": "x"},
        [],
        None,
        "text",
    ],
)
def test_invalid_new_entry_is_422_and_adds_nothing(client, lists, shared, body):
    ann, _, list_id = shared
    response = client.post(f"/friendswatchlists/{list_id}/media", json=body, headers=identity(ann))
    assert assert_problem(response, 422)["errors"]
    assert lists.get(ann, list_id).get_json()["media"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "finished"},
        {"status": None},
        {"progress": -1},
        {"rating": 11},
        {"rating": "5"},
        {"mediaId": 2},
        {"status": "watched", "extra": True},
        [],
    ],
)
def test_invalid_entry_change_is_422_and_changes_nothing(client, lists, shared, body):
    ann, _, list_id = shared
    before = lists.add(ann, list_id, 3, rating=4)
    url = f"/friendswatchlists/{list_id}/media/3"
    assert assert_problem(client.patch(url, json=body, headers=identity(ann)), 422)["errors"]
    assert lists.get(ann, list_id).get_json()["media"] == [before]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"name": ""}),
        ("", {"name": "   "}),
        ("", {"name": "x" * 101}),
        ("", {"name": 5}),
        ("", {"name": "ok", "owner": "me"}),
        ("", {}),
        ("", None),
    ],
)
def test_invalid_rename_is_422_and_changes_nothing(client, lists, shared, path, body):
    ann, _, list_id = shared
    response = client.patch(f"/friendswatchlists/{list_id}{path}", json=body, headers=identity(ann))
    assert assert_problem(response, 422)["errors"]
    assert lists.get(ann, list_id).get_json()["name"] == "Shared"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x"},
        {"friendId": "FRIEND"},
        {"name": "", "friendId": "FRIEND"},
        {"name": "x" * 101, "friendId": "FRIEND"},
        {"name": "x", "friendId": "not-a-uuid"},
        {"name": "x", "friendId": 12},
        {"name": "x", "friendId": "FRIEND", "state": "active"},
        [],
        None,
    ],
)
def test_invalid_new_list_is_422_and_creates_nothing(client, lists, make_user, body):
    ann, ben = make_user("Ann"), make_user("Ben")
    if isinstance(body, dict) and body.get("friendId") == "FRIEND":
        body = {**body, "friendId": str(ben)}
    response = client.post("/friendswatchlists", json=body, headers=identity(ann))
    assert assert_problem(response, 422)["errors"]
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("POST", ""), ("PATCH", "/LIST"), ("POST", "/LIST/media"), ("PATCH", "/LIST/media/3")],
)
def test_malformed_json_and_oversized_bodies_are_problems(client, lists, shared, method, suffix):
    ann, _, list_id = shared
    lists.add(ann, list_id, 3)
    before = lists.get(ann, list_id).get_json()
    url = "/friendswatchlists" + suffix.replace("LIST", list_id)
    headers = {**identity(ann), "Content-Type": "application/json"}
    assert_problem(client.open(url, method=method, data="{oops", headers=headers), 400)
    big = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert_problem(client.open(url, method=method, data=big, headers=headers), 413)
    assert lists.get(ann, list_id).get_json() == before
