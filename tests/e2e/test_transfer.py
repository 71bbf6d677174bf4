"""Export and import through the real gateway: a round trip, a large file, statistics after."""

import json

import requests

from tests.e2e.support import (
    add_media,
    eventually,
    new_media_id,
    personal_list,
    problem,
)
from tests.watchlist_service.transfer_files import trakt_movie

_FILE = {"Content-Type": "application/octet-stream"}


def _watched(gateway: str, media_id: int) -> int:
    response = requests.get(f"{gateway}/mediastatistics/movie/{media_id}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["watched"]


def test_export_then_import_into_another_account_with_statistics_after(gateway, user, other):
    list_id, film = personal_list(user, "Exported"), new_media_id()
    add_media(user, f"/watchlists/{list_id}", film, status="watched", notes="with friends")
    exported = user.get("/watchlists/export?format=json")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    [mine] = [w for w in document["lists"] if w["listId"] == list_id]
    assert mine["entries"][0]["notes"] == "with friends"
    assert len(mine["entries"][0]["watches"]) == 1

    first = other.post("/watchlists/import?format=json", data=exported.content, headers=_FILE)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 1
    again = other.post("/watchlists/import?format=json", data=exported.content, headers=_FILE)
    assert (again.json()["created"], again.json()["updated"]) == (0, 0)
    copied = other.get("/watchlists/export?format=json").json()["lists"]
    assert [(w["name"], len(w["entries"])) for w in copied] == [("Exported", 1)]
    assert copied[0]["entries"][0]["watches"] == mine["entries"][0]["watches"]

    def counted_twice() -> None:
        assert _watched(gateway, film) == 2

    eventually(counted_twice)
    csv_text = user.get("/watchlists/export?format=csv").text
    assert f"Exported,movie,{film},watched" in csv_text


def test_the_gateway_takes_an_import_over_the_usual_body_limit_but_not_over_ten_mb(user):
    film = new_media_id()
    padded = json.dumps([trakt_movie(film)]).encode() + b" " * (3 * 1024 * 1024)
    taken = user.post("/watchlists/import?format=trakt", data=padded, headers=_FILE)
    assert taken.status_code == 200, taken.text[:300]
    assert taken.json()["created"] == 1
    problem(user.post("/watchlists", data=b" " * (2 * 1024 * 1024), headers=_FILE), 413)
    huge = b"[" + b" " * (11 * 1024 * 1024) + b"]"
    problem(user.post("/watchlists/import?format=trakt", data=huge, headers=_FILE), 413)


def test_a_bad_file_is_422_naming_its_row_through_the_gateway(user):
    bad = json.dumps([trakt_movie(new_media_id()), {"type": "movie"}]).encode()
    body = problem(user.post("/watchlists/import?format=trakt", data=bad, headers=_FILE), 422)
    assert body["row"] == "item 1"
