"""Personal watchlists through the gateway: the whole `/watchlists` contract."""

import pytest

from tests.e2e.support import add_media, new_media_id, personal_list, problem


def test_lists_page_newest_first_with_limit_and_next_cursor(user):
    created = [personal_list(user, f"List {n}") for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = user.get("/watchlists", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        seen += [item["listId"] for item in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))


def test_list_round_trip_from_creation_to_deletion(user):
    list_id = personal_list(user, "Weekend")
    path = f"/watchlists/{list_id}"
    film, series = new_media_id(), new_media_id()
    assert add_media(user, path, film)["status"] == "added"
    entry = add_media(user, path, series, status="watching", progress=3, rating=7)
    assert (entry["mediaId"], entry["progress"], entry["rating"]) == (series, 3, 7)

    renamed = user.patch(path, json={"name": "Sunday"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Sunday"
    patched = user.patch(f"{path}/media/{series}", json={"status": "watched", "progress": 10})
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["progress"]) == ("watched", 10)
    cleared = user.patch(f"{path}/media/{series}", json={"rating": None})
    assert cleared.status_code == 200 and cleared.json()["rating"] is None

    detail = user.get(path).json()
    assert detail["name"] == "Sunday" and detail["mediaCount"] == 2
    media = {m["mediaId"]: m for m in detail["media"]}
    assert media[series]["status"] == "watched" and media[series]["rating"] is None
    assert media[film]["addedAt"].endswith("Z")

    assert user.delete(f"{path}/media/{film}").status_code == 204
    assert [m["mediaId"] for m in user.get(path).json()["media"]] == [series]
    summary = {i["listId"]: i for i in user.get("/watchlists").json()["items"]}[list_id]
    assert summary["mediaCount"] == 1
    assert user.delete(path).status_code == 204
    problem(user.get(path), 404)


@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "Mine now"}),
        ("DELETE", "", None),
        ("POST", "/media", {"mediaId": 1}),
        ("PATCH", "/media/{media}", {"status": "dropped"}),
        ("DELETE", "/media/{media}", None),
    ],
)
def test_someone_elses_list_is_404_and_stays_untouched(user, other, method, suffix, body):
    list_id = personal_list(user, "Private")
    media = new_media_id()
    add_media(user, f"/watchlists/{list_id}", media)
    path = f"/watchlists/{list_id}{suffix.format(media=media)}"
    problem(other.request(method, path, json=body), 404)
    detail = user.get(f"/watchlists/{list_id}").json()
    assert detail["name"] == "Private"
    assert [(m["mediaId"], m["status"]) for m in detail["media"]] == [(media, "added")]


def test_adding_a_media_twice_is_409(user):
    list_id = personal_list(user)
    media = new_media_id()
    add_media(user, f"/watchlists/{list_id}", media)
    problem(user.post(f"/watchlists/{list_id}/media", json={"mediaId": media}), 409)


@pytest.mark.parametrize(
    "method, suffix, body, field",
    [
        ("POST", "", {"name": ""}, "name"),
        ("POST", "", {"name": 7}, "name"),
        ("POST", "", {"name": "x" * 101}, "name"),
        ("PATCH", "", {"name": "   "}, "name"),
        ("POST", "", {"name": "ok", "colour": "red"}, "colour"),
        ("POST", "/media", {"mediaId": 0}, "mediaId"),
        ("POST", "/media", {"mediaId": "12"}, "mediaId"),
        ("POST", "/media", {}, "mediaId"),
        ("POST", "/media", {"mediaId": 5, "status": "binge"}, "status"),
        ("POST", "/media", {"mediaId": 5, "progress": -1}, "progress"),
        ("POST", "/media", {"mediaId": 5, "rating": 11}, "rating"),
        ("POST", "/media", {"mediaId": 5, "rating": 0}, "rating"),
        ("PATCH", "/media/{media}", {"rating": 4.5}, "rating"),
        ("PATCH", "/media/{media}", {"status": None}, "status"),
    ],
)
def test_bad_input_is_422_naming_the_field(user, method, suffix, body, field):
    list_id = personal_list(user)
    media = new_media_id()
    add_media(user, f"/watchlists/{list_id}", media)
    path = "/watchlists" if (method, suffix) == ("POST", "") else f"/watchlists/{list_id}"
    response = user.request(method, path + suffix.format(media=media), json=body)
    assert field in problem(response, 422)["errors"]


def test_an_empty_patch_is_422(user):
    list_id = personal_list(user)
    media = new_media_id()
    add_media(user, f"/watchlists/{list_id}", media)
    problem(user.patch(f"/watchlists/{list_id}/media/{media}", json={}), 422)


def test_etags_and_conditions_pass_the_gateway_both_ways(user):
    path = f"/watchlists/{personal_list(user, 'Tags')}"
    media = new_media_id()
    added = user.post(f"{path}/media", json={"mediaId": media})
    tag = user.get(path).headers["ETag"]
    unchanged = user.get(path, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    entry = f"{path}/media/{media}"
    assert user.patch(entry, json={"rating": 3}).status_code == 200
    stale = user.patch(entry, json={"rating": 8}, headers={"If-Match": added.headers["ETag"]})
    assert problem(stale, 412)["type"] == "/problems/precondition-failed"
    assert [m["rating"] for m in user.get(f"{path}/media").json()["items"]] == [3]
