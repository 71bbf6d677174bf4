""" "We both want to watch" through the real gateway: two friends see the titles they both
hold (the friend's private list left out), a stranger's are 404, and a shared list made
`fromCommon` holds those titles and reaches the friend as an invite."""

from __future__ import annotations

import requests

from tests.e2e.support import befriend, new_media_id, problem
from tests.helpers import Api, sign_up


def _shelf(api: Api, visibility: str, titles: list[tuple[str, int]]) -> None:
    created = api.post("/watchlists", json={"name": "Shelf", "visibility": visibility})
    assert created.status_code == 201, created.text
    list_id = created.json()["listId"]
    for media_type, media_id in titles:
        body = {"mediaType": media_type, "mediaId": media_id}
        assert api.post(f"/watchlists/{list_id}/media", json=body).status_code == 201


def test_two_friends_see_their_titles_in_common_and_share_a_list_of_them(gateway, user, other):
    film, series, private = ("movie", new_media_id()), ("tv", new_media_id()), new_media_id()
    _shelf(user, "private", [film, series, ("movie", private)])
    _shelf(other, "friends", [film, series])
    _shelf(other, "private", [("movie", private)])
    path = f"/friends/{other.user_id}/common"

    # asked before befriending, the answer would be kept a few seconds (docs/api.md)
    befriend(user, other)
    stranger = sign_up(gateway, "Carol")
    _shelf(stranger, "public", [film, series])
    problem(user.get(f"/friends/{stranger.user_id}/common"), 404)
    problem(requests.get(gateway + path, timeout=10), 401)
    answer = user.get(path + "?status=added")
    assert answer.status_code == 200, answer.text
    expected = [{"mediaType": t, "mediaId": i} for t, i in (film, series)]
    assert answer.json() == {"items": expected, "nextCursor": None}
    assert other.get(f"/friends/{user.user_id}/common").json()["items"] == []  # hers are private

    created = user.post("/friendswatchlists", json={"fromCommon": {"friendId": other.user_id}})
    assert created.status_code == 201, created.text
    shared = created.json()
    assert shared["state"] == "pending" and shared["mediaCount"] == 2
    # added in one transaction, the entries tie on addedAt: the page orders them by mediaId
    assert {(m["mediaType"], m["mediaId"]) for m in shared["media"]} == {film, series}
    invites = other.get("/friendswatchlists/invites").json()["items"]
    assert [(i["listId"], i["name"]) for i in invites] == [
        (shared["listId"], "We both want to watch")
    ]
    accepted = other.post(f"/friendswatchlists/{shared['listId']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert {m["mediaId"] for m in accepted.json()["media"]} == {film[1], series[1]}
