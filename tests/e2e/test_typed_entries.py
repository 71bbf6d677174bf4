"""Typed entries, notes and watch history through the real gateway, with statistics after."""

import requests

from tests.e2e.support import (
    add_media,
    befriend,
    eventually,
    new_media_id,
    personal_list,
    problem,
    shared_list,
)


def test_a_film_and_a_series_of_one_id_with_notes_watches_and_statistics(gateway, user):
    list_id, media = personal_list(user), new_media_id()
    base = f"/watchlists/{list_id}/media"
    film = add_media(user, f"/watchlists/{list_id}", media, notes="cinema", rating=8)
    series = add_media(
        user,
        f"/watchlists/{list_id}",
        media,
        mediaType="tv",
        status="watching",
        episodeProgress={"season": 1, "episode": 2},
    )
    assert (film["mediaType"], series["mediaType"]) == ("movie", "tv")

    watched = user.patch(f"{base}/movie/{media}", json={"status": "watched"})
    assert watched.status_code == 200 and watched.json()["timesWatched"] == 1
    rewatch = user.post(f"{base}/movie/{media}/watches", json={"watchedAt": "2026-01-02T20:00:00Z"})
    assert rewatch.status_code == 201
    page = user.get(f"{base}/movie/{media}/watches").json()
    assert [w["watchedAt"] for w in page["items"]][-1] == "2026-01-02T20:00:00.000Z"
    assert len(page["items"]) == 2

    old = user.patch(f"{base}/{media}", json={"notes": "cinema, twice"})
    assert old.status_code == 200 and old.json()["notes"] == "cinema, twice"
    assert old.headers["Deprecation"].startswith("@")
    assert old.headers["Link"] == f'<{base}/movie/{media}>; rel="successor-version"'

    problem(
        user.patch(f"{base}/movie/{media}", json={"episodeProgress": {"season": 1, "episode": 1}}),
        422,
    )
    problem(user.patch(f"{base}/tv/{media}", json={"notes": "x" * 2001}), 422)
    problem(user.get(f"{base}/book/{media}/watches"), 404)

    tv_page = user.get(f"{base}?mediaType=tv").json()["items"]
    assert [(m["mediaType"], m["episodeProgress"]) for m in tv_page] == [
        ("tv", {"season": 1, "episode": 2})
    ]

    def counted_apart() -> tuple[dict, dict]:
        movie = requests.get(f"{gateway}/mediastatistics/movie/{media}", timeout=10).json()
        tv = requests.get(f"{gateway}/mediastatistics/tv/{media}", timeout=10).json()
        assert (movie["watched"], movie["watching"], tv["watching"], tv["watched"]) == (1, 0, 1, 0)
        return movie, tv

    movie, _ = eventually(counted_apart)
    assert movie["ratingDistribution"]["8"] == 1


def test_a_member_records_a_watch_of_a_shared_series(gateway, user, other):
    befriend(user, other)
    list_id, media = shared_list(user, other), new_media_id()
    add_media(user, f"/friendswatchlists/{list_id}", media, mediaType="tv")
    watches = f"/friendswatchlists/{list_id}/media/tv/{media}/watches"
    made = other.post(watches, json={})
    assert made.status_code == 201
    entry = user.get(f"/friendswatchlists/{list_id}").json()["media"][0]
    assert (entry["mediaType"], entry["timesWatched"]) == ("tv", 1)
    assert user.delete(f"{watches}/{made.json()['watchId']}").status_code == 204
    assert user.get(watches).json()["items"] == []
