"""ETags of lists and entries: If-Match on PATCH and DELETE (412 if stale), If-None-Match (304)."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from tests.watchlist_service.support import outbox_count


def _with(caller, header: str, tag: str) -> dict:
    return {**caller.headers, header: tag}


def test_every_answer_about_a_list_or_entry_carries_a_strong_etag(caller, media_id):
    created = caller.request("POST", "/watchlists", json={"name": "Tagged"})
    list_id = created.get_json()["listId"]
    added = caller.request("POST", f"/watchlists/{list_id}/media", json={"mediaId": media_id()})
    shown = caller.request("GET", f"/watchlists/{list_id}")
    renamed = caller.request("PATCH", f"/watchlists/{list_id}", json={"name": "Renamed"})
    tags = [r.headers["ETag"] for r in (created, added, shown, renamed)]
    assert tags == ['"1"', '"2"', '"2"', '"3"']
    assert added.get_json()["etag"] == '"2"' and shown.get_json()["media"][0]["etag"] == '"2"'


def test_a_list_etag_changes_when_one_of_its_entries_changes(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    before = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"rating": 5})
    assert caller.request("GET", f"/watchlists/{list_id}").headers["ETag"] != before


def test_if_none_match_with_the_current_etag_is_304_without_a_body(caller, media_id):
    list_id = caller.new_list()
    caller.add(list_id, media_id())
    tag = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    again = caller.client.get(f"/watchlists/{list_id}", headers=_with(caller, "If-None-Match", tag))
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag


def test_if_none_match_with_an_old_etag_is_the_full_list(caller, media_id):
    list_id = caller.new_list()
    old = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    caller.add(list_id, media_id())
    fresh = caller.client.get(f"/watchlists/{list_id}", headers=_with(caller, "If-None-Match", old))
    assert fresh.status_code == 200 and len(fresh.get_json()["media"]) == 1


def test_a_stale_rename_is_412_and_changes_nothing(caller):
    list_id = caller.new_list("First")
    old = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    caller.request("PATCH", f"/watchlists/{list_id}", json={"name": "Second"})
    stale = caller.client.patch(
        f"/watchlists/{list_id}", json={"name": "Third"}, headers=_with(caller, "If-Match", old)
    )
    body = assert_problem(stale, 412)
    assert body["type"] == "/problems/precondition-failed"
    assert caller.show(list_id)["name"] == "Second"
    assert body["currentEtag"] == caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]


@pytest.mark.parametrize("header", ["{current}", "*", '"999", {current}'])
def test_a_current_if_match_lets_the_write_through(caller, media_id, header):
    list_id, mid = caller.new_list(), media_id()
    current = caller.add(list_id, mid)["etag"]
    path = f"/watchlists/{list_id}/media/{mid}"
    answer = caller.client.patch(
        path, json={"rating": 9}, headers=_with(caller, "If-Match", header.format(current=current))
    )
    assert answer.status_code == 200 and answer.get_json()["rating"] == 9
    assert answer.headers["ETag"] == answer.get_json()["etag"] != current


def test_a_stale_entry_delete_is_412_and_a_current_one_deletes(app, caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    old = caller.add(list_id, mid)["etag"]
    path = f"/watchlists/{list_id}/media/{mid}"
    new = caller.request("PATCH", path, json={"status": "watching"}).get_json()["etag"]
    list_tag, events = (
        caller.request("GET", f"/watchlists/{list_id}").headers["ETag"],
        outbox_count(app),
    )
    assert_problem(caller.client.delete(path, headers=_with(caller, "If-Match", old)), 412)
    assert caller.show(list_id)["mediaCount"] == 1
    # the list's touch was rolled back with the refused write, and no event was queued
    assert caller.request("GET", f"/watchlists/{list_id}").headers["ETag"] == list_tag
    assert outbox_count(app) == events
    assert caller.client.delete(path, headers=_with(caller, "If-Match", new)).status_code == 204
    assert caller.show(list_id)["mediaCount"] == 0


def test_a_stale_list_delete_is_412_and_keeps_the_list(caller, media_id):
    list_id = caller.new_list()
    old = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    caller.add(list_id, media_id())
    path = f"/watchlists/{list_id}"
    assert_problem(caller.client.delete(path, headers=_with(caller, "If-Match", old)), 412)
    current = caller.request("GET", path).headers["ETag"]
    assert caller.client.delete(path, headers=_with(caller, "If-Match", current)).status_code == 204
    assert caller.request("GET", path).status_code == 404


def test_a_re_added_entry_never_shows_the_tag_it_had_before(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    first = caller.add(list_id, mid)["etag"]
    caller.request("DELETE", f"/watchlists/{list_id}/media/{mid}")
    assert caller.add(list_id, mid)["etag"] != first


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
def test_a_malformed_condition_is_400_and_changes_nothing(caller, media_id, header):
    list_id, mid = caller.new_list("Kept"), media_id()
    caller.add(list_id, mid)
    method = "PATCH" if header == "If-Match" else "GET"
    answer = caller.client.open(
        f"/watchlists/{list_id}",
        method=method,
        json={"name": "Changed"} if method == "PATCH" else None,
        headers=_with(caller, header, "not-quoted"),
    )
    assert_problem(answer, 400)
    assert caller.show(list_id)["name"] == "Kept"


def test_someone_elses_list_is_404_whatever_the_condition(caller, stranger):
    list_id = caller.new_list()
    answer = stranger.client.delete(
        f"/watchlists/{list_id}", headers=_with(stranger, "If-Match", "*")
    )
    assert_problem(answer, 404)
