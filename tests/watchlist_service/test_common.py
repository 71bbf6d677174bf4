"""`GET /friends/{userId}/common`: the titles the caller and a friend both hold in one
status, counting every list of the caller and only the lists the friend shows friends,
with the real friends service answering over HTTP; and its internal twin."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.friends_service.support import insert_friendship
from tests.helpers import LiveServer, assert_problem, identity, service_headers
from tests.watchlist_service.support import Caller


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


def new_list(person: Caller, visibility: str, name: str = "Films") -> str:
    response = person.request("POST", "/watchlists", json={"name": name, "visibility": visibility})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["listId"]


@pytest.fixture
def pair(client, friends_service):
    """Two accepted friends: `me` (the caller) and `friend`."""
    me, friend = Caller(client), Caller(client)
    insert_friendship(friends_service.conn, me.user_id, friend.user_id)
    return me, friend


def common(me: Caller, friend: Caller | uuid.UUID, query: str = ""):
    friend_id = friend.user_id if isinstance(friend, Caller) else friend
    return me.request("GET", f"/friends/{friend_id}/common{query}")


def titles(response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.get_json()
    return [(i["mediaType"], i["mediaId"]) for i in response.get_json()["items"]]


def test_titles_both_hold_are_common_and_titles_one_holds_are_not(pair, media_id):
    me, friend = pair
    both, mine_only, theirs_only = media_id(), media_id(), media_id()
    mine, theirs = new_list(me, "private"), new_list(friend, "friends")
    for title in (both, mine_only):
        me.add(mine, title)
    for title in (both, theirs_only):
        friend.add(theirs, title)

    answer = common(me, friend)
    assert titles(answer) == [("movie", both)]
    assert answer.get_json()["nextCursor"] is None


def test_the_friends_private_and_unlisted_lists_do_not_count_but_public_ones_do(pair, media_id):
    me, friend = pair
    hidden, linked, shown = media_id(), media_id(), media_id()
    mine = new_list(me, "private")
    for title in (hidden, linked, shown):
        me.add(mine, title)
    friend.add(new_list(friend, "private"), hidden)
    friend.add(new_list(friend, "unlisted"), linked)
    friend.add(new_list(friend, "public"), shown)

    assert titles(common(me, friend)) == [("movie", shown)]


def test_every_list_of_the_caller_counts_and_a_title_counts_once(pair, media_id):
    me, friend = pair
    first, second = media_id(), media_id()
    me.add(new_list(me, "private", "A"), first)
    me.add(new_list(me, "unlisted", "B"), second)
    again = new_list(me, "friends", "C")
    me.add(again, first)
    theirs, also_theirs = new_list(friend, "friends"), new_list(friend, "public")
    for list_id in (theirs, also_theirs):
        friend.add(list_id, first)
        friend.add(list_id, second)

    assert titles(common(me, friend)) == [("movie", first), ("movie", second)]


def test_the_status_and_media_type_choose_which_titles_count(pair, media_id):
    me, friend = pair
    planned, seen, series, half = media_id(), media_id(), media_id(), media_id()
    mine, theirs = new_list(me, "private"), new_list(friend, "public")
    for person, list_id in ((me, mine), (friend, theirs)):
        person.add(list_id, planned)
        person.add(list_id, seen, status="watched")
        person.add(list_id, series, mediaType="tv")
    me.add(mine, half, status="watching")
    friend.add(theirs, half, status="added")  # not in the same status: not common

    assert titles(common(me, friend)) == [("movie", planned), ("tv", series)]
    assert titles(common(me, friend, "?status=watched")) == [("movie", seen)]
    assert titles(common(me, friend, "?status=watching")) == []
    assert titles(common(me, friend, "?mediaType=tv")) == [("tv", series)]
    assert titles(common(me, friend, "?mediaType=movie&status=added")) == [("movie", planned)]


def test_pages_walk_every_common_title_in_type_then_id_order(pair, media_id):
    me, friend = pair
    movies, shows = sorted(media_id() for _ in range(3)), sorted(media_id() for _ in range(2))
    mine, theirs = new_list(me, "private"), new_list(friend, "friends")
    for person, list_id in ((me, mine), (friend, theirs)):
        for title in reversed(movies):
            person.add(list_id, title)
        for title in shows:
            person.add(list_id, title, mediaType="tv")

    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        answer = common(me, friend, query)
        seen += titles(answer)
        cursor, pages = answer.get_json()["nextCursor"], pages + 1
        if cursor is None:
            break
    assert pages == 3
    assert seen == [("movie", m) for m in movies] + [("tv", s) for s in shows]


def test_a_cursor_of_another_status_or_a_made_up_one_is_422(pair, media_id):
    me, friend = pair
    mine, theirs = new_list(me, "private"), new_list(friend, "friends")
    for _ in range(2):
        title = media_id()
        me.add(mine, title)
        friend.add(theirs, title)
    cursor = common(me, friend, "?limit=1").get_json()["nextCursor"]

    assert assert_problem(common(me, friend, f"?status=watched&cursor={cursor}"), 422)["errors"]
    assert_problem(common(me, friend, "?cursor=bm90LWEtY3Vyc29y"), 422)
    assert_problem(common(me, friend, "?status=seen"), 422)
    assert_problem(common(me, friend, "?mediaType=book"), 422)
    assert_problem(common(me, friend, "?limit=0"), 422)


@pytest.mark.parametrize("who", ["stranger", "pending", "unknown", "myself"])
def test_anyone_but_an_accepted_friend_is_404(client, friends_service, media_id, who):
    me, other = Caller(client), Caller(client)
    title = media_id()
    me.add(new_list(me, "private"), title)
    other.add(new_list(other, "public"), title)
    if who == "pending":
        insert_friendship(friends_service.conn, me.user_id, other.user_id, pending=True)
    target = {"unknown": uuid.uuid4(), "myself": me.user_id}.get(who, other.user_id)

    body = assert_problem(common(me, target), 404)
    assert str(title) not in str(body)


def test_without_a_token_it_is_401(client, pair):
    me, friend = pair
    assert_problem(client.get(f"/friends/{friend.user_id}/common"), 401)


def test_while_friends_is_down_it_is_503_with_retry_after(make_app, pair):
    me, friend = pair
    stopped = LiveServer(make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9"))
    stopped.stop()
    down = make_app("watchlist_service", FRIENDS_SERVICE_URL=stopped.url).test_client()

    answer = down.get(f"/friends/{friend.user_id}/common", headers=identity(me.user_id))
    assert_problem(answer, 503)
    assert int(answer.headers["Retry-After"]) > 0


def internal(client, me: Caller, friend: Caller, query: str = "", caller: str = "friendswatchlist"):
    path = f"/internal/common?userId={me.user_id}&friendId={friend.user_id}{query}"
    return client.get(path, headers=service_headers(caller, "watchlist"))


def test_the_internal_read_counts_as_the_public_one_and_says_when_it_is_cut(client, pair, media_id):
    me, friend = pair
    shared = sorted(media_id() for _ in range(3))
    mine, theirs = new_list(me, "private"), new_list(friend, "friends")
    private = new_list(friend, "private")
    for title in shared:
        me.add(mine, title)
        friend.add(theirs, title)
    hidden = media_id()
    me.add(mine, hidden)
    friend.add(private, hidden)

    whole = internal(client, me, friend)
    assert whole.status_code == 200, whole.get_json()
    assert whole.get_json() == {
        "items": [{"mediaType": "movie", "mediaId": t} for t in shared],
        "truncated": False,
    }
    cut = internal(client, me, friend, "&limit=2").get_json()
    assert [i["mediaId"] for i in cut["items"]] == shared[:2] and cut["truncated"] is True
    assert internal(client, me, friend, "&status=watched").get_json()["items"] == []


def test_the_internal_read_takes_only_the_shared_list_services_credential(client, pair):
    me, friend = pair
    assert_problem(internal(client, me, friend, caller="mediastatistics"), 403)
    assert_problem(client.get(f"/internal/common?userId={me.user_id}"), 403)
    assert_problem(internal(client, me, friend, "&limit=1001"), 422)
