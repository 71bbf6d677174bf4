"""Who reads a personal list: owner, friend, stranger and anonymous caller against each
visibility, with the real friends service answering over HTTP."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.friends_service.conftest import CountingApp
from tests.friends_service.support import insert_friendship
from tests.helpers import LiveServer, identity
from tests.watchlist_service.support import Caller

VISIBILITIES = ("private", "friends", "unlisted", "public")
READERS = ("owner", "friend", "stranger", "anonymous")
# what each reader may open by id, and what each finds listed under the owner
OPENS = {
    "owner": set(VISIBILITIES),
    "friend": {"friends", "unlisted", "public"},
    "stranger": {"unlisted", "public"},
    "anonymous": {"unlisted", "public"},
}
LISTED = {
    "owner": set(VISIBILITIES),
    "friend": {"friends", "public"},
    "stranger": {"public"},
    "anonymous": {"public"},
}


@pytest.fixture(scope="module")
def friends_service(make_app, create_database):
    """The real friends service over HTTP, and a connection to its database."""
    server = LiveServer(make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9"))
    with psycopg.connect(create_database("friends_service"), autocommit=True) as conn:
        server.conn = conn
        yield server
    server.stop()


@pytest.fixture
def app(make_app, friends_service):
    """The watchlist service asking the live friends service about friendships."""
    return make_app("watchlist_service", FRIENDS_SERVICE_URL=friends_service.url)


@pytest.fixture
def shelf(client, friends_service, media_id):
    """An owner with one list of each visibility (one entry with notes each) and a friend."""
    owner = Caller(client)
    lists = {}
    for visibility in VISIBILITIES:
        body = {"name": visibility.title(), "visibility": visibility}
        lists[visibility] = owner.request("POST", "/watchlists", json=body).get_json()["listId"]
        owner.add(lists[visibility], media_id(), notes="mine only", rating=7)
    friend = uuid.uuid4()
    insert_friendship(friends_service.conn, owner.user_id, friend)
    pending = uuid.uuid4()
    insert_friendship(friends_service.conn, pending, owner.user_id, pending=True)
    return owner, lists, {"owner": owner.user_id, "friend": friend, "stranger": pending}


def headers_of(people, reader) -> dict:
    return {} if reader == "anonymous" else identity(people[reader])


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("reader", READERS)
def test_a_list_and_its_media_page_open_as_its_visibility_says(client, shelf, reader, visibility):
    owner, lists, people = shelf
    list_id, headers = lists[visibility], headers_of(people, reader)
    shown = client.get(f"/watchlists/{list_id}", headers=headers)
    page = client.get(f"/watchlists/{list_id}/media", headers=headers)
    if visibility not in OPENS[reader]:
        assert (shown.status_code, page.status_code) == (404, 404)
        assert shown.get_json()["status"] == 404  # a problem, the list's name nowhere
        assert visibility.title() not in shown.get_data(as_text=True)
        return
    assert (shown.status_code, page.status_code) == (200, 200)
    # the owner's answer (with notes) and a stranger's differ: no shared cache may mix them
    assert "Authorization" in shown.headers.get("Vary", "")
    assert "Authorization" in page.headers.get("Vary", "")
    body = shown.get_json()
    assert body["visibility"] == visibility and body["mediaCount"] == 1
    entries = body["media"] + page.get_json()["items"]
    assert [e["rating"] for e in entries] == [7, 7]
    notes = [e.get("notes", "left out") for e in entries]
    assert notes == (["mine only"] * 2 if reader == "owner" else ["left out"] * 2)


@pytest.mark.parametrize("reader", READERS)
def test_a_persons_lists_show_each_reader_their_part(client, shelf, reader):
    owner, lists, people = shelf
    response = client.get(f"/users/{owner.user_id}/watchlists", headers=headers_of(people, reader))
    assert response.status_code == 200
    body = response.get_json()
    assert body["degraded"] is False and body["nextCursor"] is None
    assert {item["visibility"] for item in body["items"]} == LISTED[reader]
    assert {item["listId"] for item in body["items"]} == {lists[v] for v in LISTED[reader]}


def test_a_persons_lists_page_like_the_owners_own(client, shelf):
    owner, lists, people = shelf
    path = f"/users/{owner.user_id}/watchlists?limit=1"
    first = client.get(path, headers=identity(people["friend"])).get_json()
    second = client.get(
        f"{path}&cursor={first['nextCursor']}", headers=identity(people["friend"])
    ).get_json()
    assert [i["listId"] for i in first["items"] + second["items"]] == [
        lists["public"],
        lists["friends"],
    ]
    assert second["nextCursor"] is None


@pytest.mark.parametrize("reader", ["friend", "stranger", "anonymous"])
def test_others_never_write_a_visible_list(client, shelf, media_id, reader):
    owner, lists, people = shelf
    list_id, headers = lists["public"], headers_of(people, reader)
    before = owner.show(list_id)
    entry = f"/watchlists/{list_id}/media/movie/{before['media'][0]['mediaId']}"
    answers = [
        client.patch(f"/watchlists/{list_id}", json={"name": "x"}, headers=headers),
        client.delete(f"/watchlists/{list_id}", headers=headers),
        client.post(f"/watchlists/{list_id}/media", json={"mediaId": media_id()}, headers=headers),
        client.patch(entry, json={"rating": 1}, headers=headers),
        client.delete(entry, headers=headers),
    ]
    assert {a.status_code for a in answers} == ({401} if reader == "anonymous" else {404})
    assert owner.show(list_id) == before


def test_an_unknown_list_and_a_malformed_person_are_404(client):
    assert client.get(f"/watchlists/{uuid.uuid4()}").status_code == 404
    assert client.get("/users/not-a-uuid/watchlists").status_code == 404


def test_while_friends_is_down_a_friends_list_is_hidden_and_lists_say_degraded(
    make_app, client, shelf
):
    owner, lists, people = shelf
    stopped = LiveServer(make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9"))
    stopped.stop()
    down = make_app("watchlist_service", FRIENDS_SERVICE_URL=stopped.url).test_client()
    friend = identity(uuid.uuid4())  # a pair the cache has not seen
    assert down.get(f"/watchlists/{lists['friends']}", headers=friend).status_code == 404
    assert down.get(f"/watchlists/{lists['public']}", headers=friend).status_code == 200
    listed = down.get(f"/users/{owner.user_id}/watchlists", headers=friend).get_json()
    assert listed["degraded"] is True
    assert [i["listId"] for i in listed["items"]] == [lists["public"]]
    mine = down.get(f"/users/{owner.user_id}/watchlists", headers=owner.headers).get_json()
    assert mine["degraded"] is False and len(mine["items"]) == 4  # no call needed
    anonymous = down.get(f"/users/{owner.user_id}/watchlists").get_json()
    assert anonymous["degraded"] is False


def test_a_friend_paging_a_friends_list_costs_one_friendship_check(
    make_app, friends_service, media_id
):
    counting = CountingApp(make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9"))
    server = LiveServer(counting)
    try:
        client = make_app("watchlist_service", FRIENDS_SERVICE_URL=server.url).test_client()
        owner, friend = Caller(client), uuid.uuid4()
        body = {"name": "Ours", "visibility": "friends"}
        list_id = owner.request("POST", "/watchlists", json=body).get_json()["listId"]
        owner.add(list_id, media_id())
        insert_friendship(friends_service.conn, owner.user_id, friend)
        for path in ("", "/media", "/media?status=added", ""):
            answer = client.get(f"/watchlists/{list_id}{path}", headers=identity(friend))
            assert answer.status_code == 200
        assert client.get(f"/watchlists/{list_id}", headers=owner.headers).status_code == 200
        check = f"/internal/friendships/{friend}/{owner.user_id}"
        assert counting.calls_to(check) == 1  # kept a few seconds; the owner needs none
    finally:
        server.stop()
