"""Typed titles in a personal list: the same id as movie and tv, typed and deprecated paths."""

from __future__ import annotations

import base64
import json

import pytest


def test_the_same_id_as_movie_and_tv_are_two_entries_of_one_list(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    film = caller.add(list_id, mid, mediaType="movie", rating=7)
    series = caller.add(list_id, mid, mediaType="tv", status="watching")
    assert (film["mediaType"], series["mediaType"]) == ("movie", "tv")
    body = caller.show(list_id)
    assert body["mediaCount"] == 2
    assert sorted((m["mediaType"], m["status"]) for m in body["media"]) == [
        ("movie", "added"),
        ("tv", "watching"),
    ]
    again = caller.request(
        "POST", f"/watchlists/{list_id}/media", json={"mediaId": mid, "mediaType": "tv"}
    )
    assert again.status_code == 409


def test_an_entry_without_a_media_type_is_a_movie(caller, media_id):
    list_id = caller.new_list()
    assert caller.add(list_id, media_id())["mediaType"] == "movie"


@pytest.mark.parametrize("media_type", ["film", "", "TV", 3])
def test_an_unknown_media_type_is_422_and_adds_nothing(caller, media_id, media_type):
    list_id = caller.new_list()
    body = {"mediaId": media_id(), "mediaType": media_type}
    response = caller.request("POST", f"/watchlists/{list_id}/media", json=body)
    assert response.status_code == 422
    assert "mediaType" in response.get_json()["errors"]
    assert caller.show(list_id)["mediaCount"] == 0


def test_typed_paths_change_and_remove_only_their_type(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, mediaType="movie")
    caller.add(list_id, mid, mediaType="tv")
    patched = caller.request("PATCH", f"/watchlists/{list_id}/media/tv/{mid}", json={"rating": 9})
    assert patched.status_code == 200 and patched.get_json()["mediaType"] == "tv"
    assert "Deprecation" not in patched.headers
    ratings = {m["mediaType"]: m["rating"] for m in caller.show(list_id)["media"]}
    assert ratings == {"movie": None, "tv": 9}
    assert caller.request("DELETE", f"/watchlists/{list_id}/media/movie/{mid}").status_code == 204
    assert [m["mediaType"] for m in caller.show(list_id)["media"]] == ["tv"]
    assert caller.request("DELETE", f"/watchlists/{list_id}/media/movie/{mid}").status_code == 404
    assert (
        caller.request(
            "PATCH", f"/watchlists/{list_id}/media/book/{mid}", json={"rating": 1}
        ).status_code
        == 404
    )


def test_the_untyped_paths_answer_as_the_movie_with_deprecation_headers(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    caller.add(list_id, mid, mediaType="movie")
    caller.add(list_id, mid, mediaType="tv")
    patched = caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"rating": 4})
    assert patched.status_code == 200 and patched.get_json()["mediaType"] == "movie"
    successor = f'</watchlists/{list_id}/media/movie/{mid}>; rel="successor-version"'
    assert patched.headers["Link"] == successor
    assert patched.headers["Deprecation"].startswith("@")
    assert patched.headers["ETag"] == patched.get_json()["etag"]
    removed = caller.request("DELETE", f"/watchlists/{list_id}/media/{mid}")
    assert removed.status_code == 204 and removed.headers["Link"] == successor
    assert [m["mediaType"] for m in caller.show(list_id)["media"]] == ["tv"]


def test_if_match_guards_the_typed_paths(caller, media_id):
    list_id, mid = caller.new_list(), media_id()
    tag = caller.add(list_id, mid, mediaType="tv")["etag"]
    path = f"/watchlists/{list_id}/media/tv/{mid}"
    conditional = {**caller.headers, "If-Match": tag}
    first = caller.client.patch(path, json={"rating": 2}, headers=conditional)
    assert first.status_code == 200
    stale = caller.client.delete(path, headers=conditional)
    assert stale.status_code == 412
    assert caller.show(list_id)["mediaCount"] == 1


def test_media_pages_filter_by_type_and_bind_the_cursor_to_it(caller, media_id):
    list_id = caller.new_list()
    mids = [media_id() for _ in range(3)]
    for mid in mids:
        caller.add(list_id, mid, mediaType="tv")
        caller.add(list_id, mid, mediaType="movie")
    page = caller.request("GET", f"/watchlists/{list_id}/media?mediaType=tv&limit=2").get_json()
    assert [(m["mediaType"], m["mediaId"]) for m in page["items"]] == [("tv", m) for m in mids[:2]]
    rest = caller.request(
        "GET", f"/watchlists/{list_id}/media?mediaType=tv&limit=2&cursor={page['nextCursor']}"
    ).get_json()
    assert [(m["mediaType"], m["mediaId"]) for m in rest["items"]] == [("tv", mids[2])]
    other = caller.request(
        "GET", f"/watchlists/{list_id}/media?mediaType=movie&cursor={page['nextCursor']}"
    )
    assert other.status_code == 422
    both = caller.request("GET", f"/watchlists/{list_id}/media?limit=6").get_json()["items"]
    assert len(both) == 6


def test_a_cursor_with_a_forged_media_type_is_422(caller, media_id):
    list_id = caller.new_list()
    forged = base64.urlsafe_b64encode(
        json.dumps(
            [["addedAt", "asc", None, None], ["2026-01-01T00:00:00+00:00", 1, "book"]]
        ).encode()
    ).decode()
    response = caller.request("GET", f"/watchlists/{list_id}/media?cursor={forged}")
    assert response.status_code == 422
