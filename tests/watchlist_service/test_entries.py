"""Watchlist service: adding, changing and removing media in a list, and bad input."""

import pytest

from tests.helpers import assert_problem
from tests.watchlist_service.support import outbox_count

STATUSES = ["added", "watching", "watched", "on_hold", "dropped"]


def test_added_entry_defaults_to_plan_to_watch(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    response = caller.request("POST", f"/watchlists/{list_id}/media", json={"mediaId": mid})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        *("mediaType", "mediaId", "status", "progress", "episodeProgress", "rating", "notes"),
        *("timesWatched", "lastWatchedAt", "addedAt", "updatedAt", "etag"),
    }
    assert body["mediaId"] == mid and body["status"] == "added"
    assert body["progress"] is None and body["rating"] is None
    assert body["addedAt"].endswith("Z")


@pytest.mark.parametrize("status", STATUSES)
def test_entry_can_be_added_in_any_status(caller, media_id, status):
    entry = caller.add(caller.new_list(), media_id(), status=status, progress=0, rating=10)
    assert (entry["status"], entry["progress"], entry["rating"]) == (status, 0, 10)


def test_adding_the_same_media_twice_is_409_and_keeps_the_first(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, rating=4)
    events = outbox_count(caller.client.application)
    again = caller.request("POST", f"/watchlists/{list_id}/media", json={"mediaId": mid})
    assert_problem(again, 409)
    assert [(m["mediaId"], m["rating"]) for m in caller.show(list_id)["media"]] == [(mid, 4)]
    assert outbox_count(caller.client.application) == events


def test_same_media_may_sit_in_two_lists(caller, media_id):
    mid = media_id()
    caller.add(caller.new_list("A"), mid)
    caller.add(caller.new_list("B"), mid)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"status": "watched"}, {"status": "watched", "progress": 2, "rating": 6}),
        ({"progress": 9}, {"status": "watching", "progress": 9, "rating": 6}),
        ({"rating": 9}, {"status": "watching", "progress": 2, "rating": 9}),
        ({"rating": None}, {"status": "watching", "progress": 2, "rating": None}),
        ({"progress": None}, {"status": "watching", "progress": None, "rating": 6}),
        ({"status": "dropped", "rating": 1}, {"status": "dropped", "progress": 2, "rating": 1}),
    ],
)
def test_patch_changes_only_the_given_fields(caller, media_id, change, expected):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, status="watching", progress=2, rating=6)
    response = caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json=change)
    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in expected} == expected
    shown = caller.show(list_id)["media"][0]
    assert {k: shown[k] for k in expected} == expected


@pytest.mark.parametrize(
    "action",
    [
        ("PATCH", "/media/{mid}", {"progress": 1}),
        ("DELETE", "/media/{mid}", None),
        ("POST", "/media", {"mediaId": "{new}"}),
        ("PATCH", "", {"name": "Renamed"}),
    ],
)
def test_changes_move_the_lists_updated_at(caller, media_id, action):
    method, suffix, body = action
    list_id, mid, new = caller.new_list(), media_id(), media_id()
    caller.add(list_id, mid)
    before = caller.show(list_id)["updatedAt"]
    if body and body.get("mediaId") == "{new}":
        body = {"mediaId": new}
    path = f"/watchlists/{list_id}" + suffix.replace("{mid}", str(mid))
    assert caller.request(method, path, json=body).status_code in (200, 201, 204)
    assert caller.show(list_id)["updatedAt"] > before


def test_entry_edit_moves_the_entrys_updated_at_only(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    added = caller.add(list_id, mid)
    body = caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"progress": 1})
    assert body.get_json()["updatedAt"] > added["updatedAt"]
    assert body.get_json()["addedAt"] == added["addedAt"]


def test_removed_entry_is_gone(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    assert caller.request("DELETE", f"/watchlists/{list_id}/media/{mid}").status_code == 204
    assert caller.show(list_id)["media"] == []
    assert_problem(caller.request("DELETE", f"/watchlists/{list_id}/media/{mid}"), 404)
    patch = caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"progress": 1})
    assert_problem(patch, 404)


BAD_ADDS = [
    ({"mediaId": "5"}, "mediaId"),
    ({"mediaId": True}, "mediaId"),
    ({"mediaId": 1.5}, "mediaId"),
    ({"mediaId": 0}, "mediaId"),
    ({"mediaId": -3}, "mediaId"),
    ({"mediaId": 2**63}, "mediaId"),
    ({"mediaId": None}, "mediaId"),
    ({}, "mediaId"),
    ({"mediaId": 7, "status": "finished"}, "status"),
    ({"mediaId": 7, "status": None}, "status"),
    ({"mediaId": 7, "rating": 0}, "rating"),
    ({"mediaId": 7, "rating": 11}, "rating"),
    ({"mediaId": 7, "rating": "5"}, "rating"),
    ({"mediaId": 7, "rating": 7.5}, "rating"),
    ({"mediaId": 7, "progress": -1}, "progress"),
    ({"mediaId": 7, "progress": 2**31}, "progress"),
    ({"mediaId": 7, "progress": False}, "progress"),
    ({"mediaId": 7, "listId": "x"}, "listId"),
    ([7], "body"),
    (None, "body"),
]


@pytest.mark.parametrize("body, field", BAD_ADDS)
def test_invalid_additions_are_422_and_change_nothing(caller, body, field):
    list_id = caller.new_list()
    before = caller.show(list_id)
    events = outbox_count(caller.client.application)
    response = caller.request("POST", f"/watchlists/{list_id}/media", json=body)
    problem = assert_problem(response, 422)
    assert field in problem["errors"] or (field == "body" and problem["errors"])
    assert caller.show(list_id) == before
    assert outbox_count(caller.client.application) == events


BAD_CHANGES = [
    ({"status": "finished"}, "status"),
    ({"status": None}, "status"),
    ({"rating": 0}, "rating"),
    ({"rating": 11}, "rating"),
    ({"rating": True}, "rating"),
    ({"progress": -1}, "progress"),
    ({"progress": "3"}, "progress"),
    ({"mediaId": 8}, "mediaId"),
    ({"status": "watched", "note": "x"}, "note"),
    ({}, "body"),
    ([], "body"),
]


@pytest.mark.parametrize("body, field", BAD_CHANGES)
def test_invalid_changes_are_422_and_change_nothing(caller, media_id, body, field):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, status="watching", progress=1, rating=5)
    before = caller.show(list_id)
    events = outbox_count(caller.client.application)
    response = caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json=body)
    problem = assert_problem(response, 422)
    assert field in problem["errors"] or (field == "body" and problem["errors"])
    assert caller.show(list_id) == before
    assert outbox_count(caller.client.application) == events


@pytest.mark.parametrize("method, suffix", [("POST", "/media"), ("PATCH", "/media/{mid}")])
def test_two_megabyte_entry_body_is_413_and_changes_nothing(caller, media_id, method, suffix):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    before = caller.show(list_id)
    big = '{"mediaId": 1, "status": "' + "x" * (2 * 1024 * 1024) + '"}'
    headers = {**caller.headers, "Content-Type": "application/json"}
    path = f"/watchlists/{list_id}" + suffix.replace("{mid}", str(mid))
    assert_problem(caller.client.open(path, method=method, data=big, headers=headers), 413)
    assert caller.show(list_id) == before


def test_shown_entries_match_what_the_writes_answered(caller, media_id):
    list_id = caller.new_list()
    written = {}
    for i in range(5):
        mid = media_id()
        caller.add(list_id, mid, status="watching", progress=i)
        path = f"/watchlists/{list_id}/media/{mid}"
        written[mid] = caller.request("PATCH", path, json={"rating": 1 + i}).get_json()
    shown = caller.show(list_id)
    assert shown["mediaCount"] == 5
    assert {m["mediaId"]: m for m in shown["media"]} == written
