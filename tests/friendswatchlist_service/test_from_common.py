"""`POST /friendswatchlists` with `fromCommon`: a shared list inviting a friend, filled in
one transaction with the titles the two have in common, as the real watchlist service
(over HTTP) counts them; each with its event, and nothing at all when a check fails."""

from __future__ import annotations

import itertools
import secrets
import uuid

import pytest
from sqlalchemy import func, select

from friendswatchlist_service import common
from friendswatchlist_service.models import SharedList, db, outbox
from tests.helpers import LiveServer, assert_problem, identity
from tests.watchlist_service.support import Caller


@pytest.fixture(scope="module")
def watchlist_service(make_app, friends_service):
    """The real watchlist service over HTTP, which holds the personal lists."""
    watchlist_app = make_app("watchlist_service", FRIENDS_SERVICE_URL=friends_service.url)
    server = LiveServer(watchlist_app)
    server.client = watchlist_app.test_client()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(make_app, user_service, friends_service, watchlist_service):
    """The shared-list service, asking the live user, friends and watchlist services."""
    return make_app(
        "friendswatchlist_service",
        USER_SERVICE_URL=user_service.url,
        FRIENDS_SERVICE_URL=friends_service.url,
        WATCHLIST_SERVICE_URL=watchlist_service.url,
    )


_next_media = itertools.count(secrets.randbelow(10**9) * 1000 + 10**12)


def shelf(watchlist_service, user_id, visibility: str, titles) -> None:
    """A personal list of `user_id` holding `titles` ((mediaType, mediaId, status) each)."""
    person = Caller(watchlist_service.client, user_id)
    body = {"name": "Mine", "visibility": visibility}
    list_id = person.request("POST", "/watchlists", json=body).get_json()["listId"]
    for media_type, media_id, status in titles:
        person.add(list_id, media_id, mediaType=media_type, status=status)


@pytest.fixture
def friends(lists, make_user):
    """Ann and Ben, accepted friends."""
    ann, ben = make_user("Ann"), make_user("Ben")
    lists.befriend(ann, ben)
    return ann, ben


def create(client, owner, body: dict):
    return client.post("/friendswatchlists", json=body, headers=identity(owner))


def from_common(friend, status: str | None = None, **extra) -> dict:
    asked = {"friendId": str(friend), **({"status": status} if status else {})}
    return {"fromCommon": asked, **extra}


def media(body: dict) -> list[tuple]:
    """The list's entries, in (mediaType, mediaId) order (a page orders ties by mediaId)."""
    return sorted((m["mediaType"], m["mediaId"], m["status"]) for m in body["media"])


def queued(app, list_id: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(outbox.c.payload)
            .where(outbox.c.payload["listId"].astext == list_id)
            .order_by(outbox.c.id)
        )
        return list(rows)


def counts(app) -> tuple[int, int]:
    """How many shared lists and outbox rows the service holds."""
    with app.app_context():
        lists_count = db.session.scalar(select(func.count()).select_from(SharedList))
        events = db.session.scalar(select(func.count()).select_from(outbox))
        return lists_count, events


def test_the_list_holds_the_titles_in_common_and_invites_the_friend(
    app, client, watchlist_service, friends, publish, event_reader
):
    ann, ben = friends
    film, series, hers, hidden = (next(_next_media) for _ in range(4))
    shelf(watchlist_service, ann, "private", [("movie", film, "added"), ("tv", series, "added")])
    shelf(watchlist_service, ann, "private", [("movie", hers, "added"), ("movie", hidden, "added")])
    shelf(watchlist_service, ben, "friends", [("movie", film, "added"), ("tv", series, "added")])
    shelf(watchlist_service, ben, "private", [("movie", hidden, "added")])

    response = create(client, ann, from_common(ben))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == common.DEFAULT_NAME and body["state"] == "pending"
    assert body["invitee"]["userId"] == str(ben) and body["mediaCount"] == 2
    assert media(body) == [("movie", film, "added"), ("tv", series, "added")]
    invites = client.get("/friendswatchlists/invites", headers=identity(ben)).get_json()
    assert [i["listId"] for i in invites["items"]] == [body["listId"]]

    publish()
    events = event_reader.read(body["listId"], 2)
    assert sorted((e["mediaType"], e["mediaId"]) for e in events) == [
        ("movie", film),
        ("tv", series),
    ]
    for event in events:
        assert event["before"] is None and event["after"]["status"] == "added"
        assert event["actorId"] == str(ann) and event["after"]["userId"] == str(ann)


def test_titles_common_in_another_status_are_added_and_the_name_is_kept(
    app, client, watchlist_service, friends
):
    ann, ben = friends
    seen, planned = next(_next_media), next(_next_media)
    for person in (ann, ben):
        shelf(watchlist_service, person, "public", [("movie", seen, "watched")])
        shelf(watchlist_service, person, "public", [("movie", planned, "added")])

    response = create(client, ann, from_common(ben, "watched", name="Again together"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Again together"
    assert media(body) == [("movie", seen, "added")]
    assert body["media"][0]["timesWatched"] == 0


def test_with_nothing_in_common_the_list_is_made_empty(app, client, friends):
    ann, ben = friends
    response = create(client, ann, from_common(ben))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["media"] == [] and body["mediaCount"] == 0
    assert queued(app, body["listId"]) == []


def test_past_the_cap_the_first_titles_in_type_and_id_order_are_added(
    app, client, watchlist_service, friends, monkeypatch
):
    ann, ben = friends
    titles = sorted(next(_next_media) for _ in range(3))
    for person in (ann, ben):
        shelf(watchlist_service, person, "friends", [("movie", t, "added") for t in titles])
    monkeypatch.setattr(common, "MAX_COMMON_TITLES", 2)

    body = create(client, ann, from_common(ben)).get_json()
    assert [m["mediaId"] for m in body["media"]] == titles[:2]
    assert len(queued(app, body["listId"])) == 2


def filled(body, **people):
    """The body with `{ann}` and `{ben}` replaced by their ids, at any depth."""
    if isinstance(body, dict):
        return {k: filled(v, **people) for k, v in body.items()}
    if isinstance(body, str):
        return body.format(**{k: str(v) for k, v in people.items()})
    return body


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Both", "friendId": "{ben}", "fromCommon": {"friendId": "{ben}"}},
        {"name": "Neither"},
        {"friendId": "{ben}"},
        {"fromCommon": {"status": "added"}},
        {"fromCommon": {"friendId": "{ben}", "status": "seen"}},
        {"fromCommon": {"friendId": "{ben}", "extra": 1}},
        {"fromCommon": {"friendId": "{ann}"}},
    ],
    ids=["both", "neither", "friendId without name", "no friend", "bad status", "unknown",
         "yourself"],
)  # fmt: skip
def test_a_bad_body_is_422_and_creates_nothing(app, client, friends, body):
    ann, ben = friends
    before = counts(app)
    assert assert_problem(create(client, ann, filled(body, ann=ann, ben=ben)), 422)["errors"]
    assert counts(app) == before


def test_someone_not_a_friend_is_403_and_creates_nothing(app, client, watchlist_service, make_user):
    ann, cat = make_user("Ann"), make_user("Cat")
    title = next(_next_media)
    for person in (ann, cat):
        shelf(watchlist_service, person, "public", [("movie", title, "added")])
    before = counts(app)
    assert_problem(create(client, ann, from_common(cat)), 403)
    assert_problem(create(client, ann, from_common(uuid.uuid4())), 404)
    assert counts(app) == before


def test_while_the_watchlist_service_is_down_it_is_503_and_creates_nothing(
    make_app, user_service, friends_service, friends
):
    ann, ben = friends
    stopped = LiveServer(make_app("watchlist_service"))
    stopped.stop()
    down = make_app(
        "friendswatchlist_service",
        USER_SERVICE_URL=user_service.url,
        FRIENDS_SERVICE_URL=friends_service.url,
        WATCHLIST_SERVICE_URL=stopped.url,
    )
    before = counts(down)
    assert_problem(create(down.test_client(), ann, from_common(ben)), 503)
    assert counts(down) == before
