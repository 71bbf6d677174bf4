"""Watchlist service: a list's `visibility`, set on create and PATCH, and its events."""

from __future__ import annotations

import pytest

from tests.watchlist_service.test_events import state

VISIBILITIES = ("private", "friends", "unlisted", "public")


def test_a_new_list_is_private_unless_told(caller):
    response = caller.request("POST", "/watchlists", json={"name": "Films"})
    assert response.get_json()["visibility"] == "private"
    listed = caller.request("GET", "/watchlists").get_json()["items"]
    assert [item["visibility"] for item in listed] == ["private"]


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_visibility_is_set_on_create_and_shown_in_every_answer(caller, visibility):
    response = caller.request("POST", "/watchlists", json={"name": "F", "visibility": visibility})
    assert response.status_code == 201
    list_id = response.get_json()["listId"]
    assert caller.show(list_id)["visibility"] == visibility
    patched = caller.request("PATCH", f"/watchlists/{list_id}", json={"name": "G"})
    assert patched.get_json()["visibility"] == visibility


@pytest.mark.parametrize("bad", ["secret", "", None, 1, "PUBLIC"])
def test_an_unknown_visibility_is_422_and_changes_nothing(caller, bad):
    created = caller.request("POST", "/watchlists", json={"name": "F", "visibility": bad})
    assert created.status_code == 422
    assert "visibility" in created.get_json()["errors"]
    list_id = caller.new_list()
    patched = caller.request("PATCH", f"/watchlists/{list_id}", json={"visibility": bad})
    assert patched.status_code == 422
    assert caller.show(list_id)["visibility"] == "private"


def test_patch_needs_name_or_visibility(caller):
    list_id = caller.new_list()
    assert caller.request("PATCH", f"/watchlists/{list_id}", json={}).status_code == 422


def test_a_visibility_change_moves_the_etag_and_keeps_the_name(caller):
    list_id = caller.new_list("Kept")
    before = caller.request("GET", f"/watchlists/{list_id}").headers["ETag"]
    patched = caller.request("PATCH", f"/watchlists/{list_id}", json={"visibility": "public"})
    assert patched.status_code == 200
    assert patched.headers["ETag"] != before
    assert patched.get_json()["name"] == "Kept"
    headers = {**caller.headers, "If-None-Match": before}
    stale = caller.client.get(f"/watchlists/{list_id}", headers=headers)
    assert stale.status_code == 200 and stale.get_json()["visibility"] == "public"


def test_a_strangers_patch_of_visibility_is_404(caller, stranger):
    list_id = caller.new_list()
    body = {"visibility": "public"}
    assert stranger.request("PATCH", f"/watchlists/{list_id}", json=body).status_code == 404
    assert caller.show(list_id)["visibility"] == "private"


def test_events_carry_the_visibility_and_a_change_reannounces_each_entry(
    caller, media_id, broker_events
):
    response = caller.request("POST", "/watchlists", json={"name": "F", "visibility": "friends"})
    list_id = response.get_json()["listId"]
    first, second = media_id(), media_id()
    caller.add(list_id, first, status="watching", rating=6)
    caller.add(list_id, second)
    caller.request("PATCH", f"/watchlists/{list_id}", json={"visibility": "public"})
    caller.request("PATCH", f"/watchlists/{list_id}", json={"visibility": "public"})  # same
    caller.request("PATCH", f"/watchlists/{list_id}", json={"name": "Renamed"})  # no event
    caller.request("PATCH", f"/watchlists/{list_id}/media/{first}", json={"status": "watched"})
    events = broker_events(list_id)
    # keyed by media id: each title's events are in order, the two titles' interleave
    seen = {
        mid: [
            (e["before"] and e["before"]["visibility"], e["after"]["visibility"])
            for e in events
            if e["mediaId"] == mid
        ]
        for mid in (first, second)
    }
    assert seen == {
        first: [(None, "friends"), ("friends", "public"), ("public", "public")],
        second: [(None, "friends"), ("friends", "public")],
    }
    changes = [e for e in events if e["before"] and e["before"]["visibility"] == "friends"]
    for event in changes:  # the change's events differ in visibility only
        assert state(event["before"]) == state(event["after"])
        assert event["before"]["timesWatched"] == event["after"]["timesWatched"]
        assert event["actorId"] == event["after"]["userId"] == str(caller.user_id)
