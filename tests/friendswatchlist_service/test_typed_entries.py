"""Typed titles, notes and watch history in shared lists: owner and member alike."""

from __future__ import annotations

import uuid

from tests.helpers import identity


def watch_counts(events: list[dict]) -> list[tuple]:
    """(mediaType, before.timesWatched, after.timesWatched) of each event."""
    return [
        (e["mediaType"], *((side or {}).get("timesWatched") for side in (e["before"], e["after"])))
        for e in events
    ]


def _path(list_id: str, media_type: str, mid: int) -> str:
    return f"/friendswatchlists/{list_id}/media/{media_type}/{mid}"


def _media(lists, who, list_id: str) -> dict:
    body = lists.get(who, list_id).get_json()
    return {(m["mediaType"], m["mediaId"]): m for m in body["media"]}


def test_the_same_id_as_movie_and_tv_in_one_shared_list(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 1399, mediaType="tv", episodeProgress={"season": 1, "episode": 3})
    lists.add(ben, list_id, 1399, notes="the film first")
    media = _media(lists, ann, list_id)
    assert set(media) == {("tv", 1399), ("movie", 1399)}
    assert media[("tv", 1399)]["episodeProgress"] == {"season": 1, "episode": 3}
    assert media[("movie", 1399)]["notes"] == "the film first"
    tv_only = client.get(
        f"/friendswatchlists/{list_id}/media?mediaType=tv", headers=identity(ben)
    ).get_json()
    assert [(m["mediaType"], m["mediaId"]) for m in tv_only["items"]] == [("tv", 1399)]
    film = client.patch(
        _path(list_id, "movie", 1399),
        json={"episodeProgress": {"season": 1, "episode": 1}},
        headers=identity(ann),
    )
    assert film.status_code == 422


def test_untyped_paths_answer_as_the_movie_with_deprecation_headers(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 11, mediaType="tv")
    lists.add(ann, list_id, 11)
    old = f"/friendswatchlists/{list_id}/media/11"
    patched = client.patch(old, json={"rating": 6}, headers=identity(ben))
    assert patched.status_code == 200 and patched.get_json()["mediaType"] == "movie"
    assert patched.headers["Link"] == (
        f'</friendswatchlists/{list_id}/media/movie/11>; rel="successor-version"'
    )
    assert patched.headers["Deprecation"].startswith("@")
    removed = client.delete(old, headers=identity(ben))
    assert removed.status_code == 204 and "Deprecation" in removed.headers
    assert set(_media(lists, ann, list_id)) == {("tv", 11)}


def test_owner_and_member_record_watches_and_others_cannot(client, lists, make_user):
    ann, ben, eve = make_user("Ann"), make_user("Ben"), make_user("Eve")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 21, mediaType="tv")
    watches = _path(list_id, "tv", 21) + "/watches"
    assert client.post(watches, json={}, headers=identity(ann)).status_code == 201
    by_ben = client.post(watches, json={}, headers=identity(ben)).get_json()
    assert client.post(watches, json={}, headers=identity(eve)).status_code == 404
    assert client.get(watches, headers=identity(eve)).status_code == 404
    assert _media(lists, ann, list_id)[("tv", 21)]["timesWatched"] == 2
    page = client.get(watches, headers=identity(ann)).get_json()
    assert len(page["items"]) == 2 and page["items"][0]["watchId"] == by_ben["watchId"]
    gone = client.delete(f"{watches}/{by_ben['watchId']}", headers=identity(ann))
    assert gone.status_code == 204
    assert client.delete(f"{watches}/{uuid.uuid4()}", headers=identity(ann)).status_code == 404
    assert _media(lists, ben, list_id)[("tv", 21)]["timesWatched"] == 1


def test_becoming_watched_records_a_watch_once(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 31, status="watching")
    path = _path(list_id, "movie", 31)
    first = client.patch(path, json={"status": "watched"}, headers=identity(ben)).get_json()
    assert first["timesWatched"] == 1 and first["lastWatchedAt"] is not None
    again = client.patch(path, json={"status": "watched"}, headers=identity(ann)).get_json()
    assert again["timesWatched"] == 1


def test_notes_over_the_limit_are_422_and_change_nothing(client, lists, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 41, notes="short")
    response = client.patch(
        _path(list_id, "movie", 41), json={"notes": "n" * 2001}, headers=identity(ben)
    )
    assert response.status_code == 422
    assert _media(lists, ann, list_id)[("movie", 41)]["notes"] == "short"


def test_events_carry_media_type_and_times_watched(client, lists, make_user, publish, event_reader):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, 51, mediaType="tv")
    watch = client.post(
        _path(list_id, "tv", 51) + "/watches", json={}, headers=identity(ben)
    ).get_json()
    client.delete(f"{_path(list_id, 'tv', 51)}/watches/{watch['watchId']}", headers=identity(ann))
    client.delete(_path(list_id, "tv", 51), headers=identity(ann))
    publish()
    events = event_reader.read(list_id, 4)
    assert watch_counts(events) == [("tv", None, 0), ("tv", 0, 1), ("tv", 1, 0), ("tv", 0, None)]
    assert events[1]["before"]["status"] == events[1]["after"]["status"] == "added"
    assert events[1]["actorId"] == str(ben)
