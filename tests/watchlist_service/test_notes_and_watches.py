"""Notes, episode progress and watch history of personal-list entries, with their events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest


def _path(list_id: str, media_type: str, mid: int) -> str:
    return f"/watchlists/{list_id}/media/{media_type}/{mid}"


def _entry(caller, list_id: str, media_type: str, mid: int) -> dict:
    (entry,) = [
        m
        for m in caller.show(list_id)["media"]
        if (m["mediaType"], m["mediaId"]) == (media_type, mid)
    ]
    return entry


def test_notes_are_set_changed_and_cleared(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    assert caller.add(list_id, mid, notes="with Ann")["notes"] == "with Ann"
    patch = caller.request("PATCH", _path(list_id, "movie", mid), json={"notes": "x" * 2000})
    assert patch.status_code == 200 and len(patch.get_json()["notes"]) == 2000
    cleared = caller.request("PATCH", _path(list_id, "movie", mid), json={"notes": None})
    assert cleared.get_json()["notes"] is None
    assert _entry(caller, list_id, "movie", mid)["notes"] is None


def test_notes_over_2000_characters_are_422_and_change_nothing(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, notes="kept")
    too_long = caller.request("PATCH", _path(list_id, "movie", mid), json={"notes": "x" * 2001})
    assert too_long.status_code == 422 and "notes" in too_long.get_json()["errors"]
    body = {"mediaId": media_id(), "notes": "y" * 2001}
    assert caller.request("POST", f"/watchlists/{list_id}/media", json=body).status_code == 422
    assert caller.show(list_id)["mediaCount"] == 1
    assert _entry(caller, list_id, "movie", mid)["notes"] == "kept"


def test_episode_progress_is_for_series_only(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    series = caller.add(list_id, mid, mediaType="tv", episodeProgress={"season": 2, "episode": 5})
    assert series["episodeProgress"] == {"season": 2, "episode": 5}
    moved = caller.request(
        "PATCH", _path(list_id, "tv", mid), json={"episodeProgress": {"season": 3, "episode": 1}}
    )
    assert moved.get_json()["episodeProgress"] == {"season": 3, "episode": 1}
    assert moved.get_json()["progress"] is None
    caller.add(list_id, mid, mediaType="movie")
    film = caller.request(
        "PATCH", _path(list_id, "movie", mid), json={"episodeProgress": {"season": 1, "episode": 1}}
    )
    assert film.status_code == 422 and "episodeProgress" in film.get_json()["errors"]
    assert _entry(caller, list_id, "movie", mid)["episodeProgress"] is None
    cleared = caller.request("PATCH", _path(list_id, "tv", mid), json={"episodeProgress": None})
    assert cleared.get_json()["episodeProgress"] is None


@pytest.mark.parametrize(
    "bad",
    [{"season": 1}, {"season": -1, "episode": 1}, {"season": 1, "episode": 0}, [1, 2], "s1e2"],
)
def test_malformed_episode_progress_is_422(caller, media_id, bad):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, mediaType="tv")
    response = caller.request("PATCH", _path(list_id, "tv", mid), json={"episodeProgress": bad})
    assert response.status_code == 422


def test_watches_are_added_paged_newest_first_and_deleted(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, mediaType="tv")
    watches = _path(list_id, "tv", mid) + "/watches"
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(days=d) for d in (30, 10, 20)]
    ids = []
    for t in times:
        answer = caller.request("POST", watches, json={"watchedAt": t.isoformat()})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["watchId"])
    entry = _entry(caller, list_id, "tv", mid)
    assert entry["timesWatched"] == 3
    assert entry["lastWatchedAt"] == times[1].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    first = caller.request("GET", watches + "?limit=2").get_json()
    assert [w["watchId"] for w in first["items"]] == [ids[1], ids[2]]
    rest = caller.request("GET", f"{watches}?limit=2&cursor={first['nextCursor']}").get_json()
    assert [w["watchId"] for w in rest["items"]] == [ids[0]] and rest["nextCursor"] is None
    assert caller.request("DELETE", f"{watches}/{ids[1]}").status_code == 204
    entry = _entry(caller, list_id, "tv", mid)
    assert entry["timesWatched"] == 2
    assert entry["lastWatchedAt"] == times[2].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert caller.request("DELETE", f"{watches}/{ids[1]}").status_code == 404


def test_a_watch_without_a_time_is_now_and_one_in_the_future_is_422(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    watches = _path(list_id, "movie", mid) + "/watches"
    before = datetime.now(UTC) - timedelta(seconds=1)
    made = caller.request("POST", watches, json={}).get_json()
    assert datetime.fromisoformat(made["watchedAt"]) >= before
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    refused = caller.request("POST", watches, json={"watchedAt": future})
    assert refused.status_code == 422 and "watchedAt" in refused.get_json()["errors"]
    assert _entry(caller, list_id, "movie", mid)["timesWatched"] == 1


def test_watches_of_a_missing_entry_or_someone_elses_list_are_404(caller, stranger, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    assert (
        caller.request("POST", _path(list_id, "tv", mid) + "/watches", json={}).status_code == 404
    )
    assert caller.request("GET", _path(list_id, "tv", mid) + "/watches").status_code == 404
    theirs = _path(list_id, "movie", mid) + "/watches"
    assert stranger.request("POST", theirs, json={}).status_code == 404
    assert stranger.request("GET", theirs).status_code == 404
    assert stranger.request("DELETE", f"{theirs}/{uuid.uuid4()}").status_code == 404
    assert _entry(caller, list_id, "movie", mid)["timesWatched"] == 0


def test_becoming_watched_records_one_watch_and_staying_watched_none(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, status="watching")
    path = _path(list_id, "movie", mid)
    first = caller.request("PATCH", path, json={"status": "watched"}).get_json()
    assert first["timesWatched"] == 1 and first["lastWatchedAt"] is not None
    again = caller.request("PATCH", path, json={"status": "watched", "rating": 8}).get_json()
    assert again["timesWatched"] == 1
    caller.request("PATCH", path, json={"status": "watching"})
    third = caller.request("PATCH", path, json={"status": "watched"}).get_json()
    assert third["timesWatched"] == 2
    assert len(caller.request("GET", path + "/watches").get_json()["items"]) == 2


def test_a_watch_retried_with_its_idempotency_key_is_recorded_once(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    watches = _path(list_id, "movie", mid) + "/watches"
    keyed = {**caller.headers, "Idempotency-Key": str(uuid.uuid4())}
    first = caller.client.post(watches, json={}, headers=keyed)
    second = caller.client.post(watches, json={}, headers=keyed)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert _entry(caller, list_id, "movie", mid)["timesWatched"] == 1


def test_a_watch_changes_the_entry_etag(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    tag = caller.add(list_id, mid)["etag"]
    caller.request("POST", _path(list_id, "movie", mid) + "/watches", json={})
    stale = caller.client.patch(
        _path(list_id, "movie", mid),
        json={"rating": 3},
        headers={**caller.headers, "If-Match": tag},
    )
    assert stale.status_code == 412


def test_events_carry_media_type_and_watches_differ_in_times_watched_only(
    caller, media_id, broker_events
):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, mediaType="tv", status="watching", rating=6)
    path = _path(list_id, "tv", mid)
    watch = caller.request("POST", path + "/watches", json={}).get_json()
    caller.request("PATCH", path, json={"notes": "no event", "episodeProgress": None})
    caller.request("DELETE", f"{path}/watches/{watch['watchId']}")
    caller.request("PATCH", path, json={"status": "watched"})
    events = broker_events(list_id)
    assert {e["mediaType"] for e in events} == {"tv"}
    me = str(caller.user_id)

    def side(status, watched):
        return {
            "status": status,
            "rating": 6,
            "timesWatched": watched,
            "userId": me,
            "visibility": "private",
        }

    assert [(e["before"], e["after"]) for e in events] == [
        (None, side("watching", 0)),
        (side("watching", 0), side("watching", 1)),
        (side("watching", 1), side("watching", 0)),
        (side("watching", 0), side("watched", 1)),
    ]


@pytest.mark.parametrize(
    ("watched_at", "status"),
    [("2026-01-02T20:00:00", 201), ("yesterday", 422), (5, 422), ("9999-01-01", 422)],
)
def test_watched_at_without_an_offset_is_utc_and_garbage_is_422(
    caller, media_id, watched_at, status
):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid)
    watches = _path(list_id, "movie", mid) + "/watches"
    answer = caller.request("POST", watches, json={"watchedAt": watched_at})
    assert answer.status_code == status, answer.get_json()
    if status == 201:
        assert answer.get_json()["watchedAt"] == "2026-01-02T20:00:00.000Z"
    assert _entry(caller, list_id, "movie", mid)["timesWatched"] == int(status == 201)
