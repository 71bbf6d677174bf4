"""Display names: one batch call to the user service per response; degraded when it is away."""

import time
import uuid

import pytest

from devstack.ports import free_port
from servicekit.user_names import display_names
from tests.helpers import assert_problem, identity


@pytest.fixture
def crowd(lists, make_user):
    """Ann owns a list with Ben, is a member of Cat's, invited Dan, and is invited by Eve."""
    ann, ben, cat, dan, eve = (make_user(n) for n in ("Ann", "Ben", "Cat", "Dan", "Eve"))
    with_ben = lists.active(ann, ben, "With Ben")
    lists.active(cat, ann, "Cat's")
    lists.create(ann, dan, "For Dan")
    from_eve = lists.create(eve, ann, "From Eve")
    return {"ann": ann, "ben": ben, "dan": dan, "with_ben": with_ben, "from_eve": from_eve}


def _lookups_during(user_service, call):
    before = user_service.counter.batch_lookups()
    response = call()
    return response, user_service.counter.batch_lookups() - before


@pytest.mark.parametrize("route", ["overview", "invites", "get", "rename"])
def test_each_response_makes_one_batch_call(client, user_service, crowd, route):
    ann, with_ben = crowd["ann"], crowd["with_ben"]
    calls = {
        "overview": lambda: client.get("/friendswatchlists", headers=identity(ann)),
        "invites": lambda: client.get("/friendswatchlists/invites", headers=identity(ann)),
        "get": lambda: client.get(f"/friendswatchlists/{with_ben}", headers=identity(ann)),
        "rename": lambda: client.patch(
            f"/friendswatchlists/{with_ben}", json={"name": "New"}, headers=identity(ann)
        ),
    }
    response, lookups = _lookups_during(user_service, calls[route])
    assert response.status_code == 200
    assert lookups == 1
    assert "degraded" not in response.get_json()


def test_overview_names_every_owner_and_member(client, crowd):
    body = client.get("/friendswatchlists", headers=identity(crowd["ann"])).get_json()
    named = {
        (i["owner"]["displayName"], (i["member"] or {}).get("displayName")) for i in body["items"]
    }
    assert named == {("Ann", "Ben"), ("Cat", "Ann"), ("Ann", None)}
    assert body["pendingInvites"] == 1


def test_creating_and_accepting_make_one_call_each(client, lists, user_service, make_user):
    ann, ben = make_user("Ann"), make_user("Ben")
    lists.befriend(ann, ben)
    response, lookups = _lookups_during(
        user_service,
        lambda: client.post(
            "/friendswatchlists", json={"name": "N", "friendId": str(ben)}, headers=identity(ann)
        ),
    )
    assert response.status_code == 201 and lookups == 1
    list_id = response.get_json()["listId"]
    response, lookups = _lookups_during(
        user_service,
        lambda: client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(ben)),
    )
    assert response.status_code == 200 and lookups == 1


def test_more_than_a_hundred_people_are_fetched_in_chunks(app, user_service, make_user):
    known = make_user("Known")
    wanted = [uuid.uuid4() for _ in range(149)] + [known]
    before = user_service.counter.batch_lookups()
    with app.app_context():
        names = display_names(wanted)
    assert user_service.counter.batch_lookups() - before == 2
    assert names.by_id == {known: "Known"} and not names.degraded


@pytest.fixture(params=["stopped", "frozen"])
def away_client(request, make_app):
    """The service with its user service stopped (closed port) or frozen (answers after 3 s)."""
    if request.param == "stopped":
        url = f"http://127.0.0.1:{free_port()}"
    else:
        url = request.getfixturevalue("slow_server")
    return make_app("friendswatchlist_service", USER_SERVICE_URL=url).test_client()


@pytest.mark.parametrize("route", ["overview", "invites", "get"])
def test_user_service_away_degrades_within_a_second(away_client, crowd, route):
    ann = crowd["ann"]
    path = {
        "overview": "/friendswatchlists",
        "invites": "/friendswatchlists/invites",
        "get": f"/friendswatchlists/{crowd['with_ben']}",
    }[route]
    started = time.monotonic()
    response = away_client.get(path, headers=identity(ann))
    # The frozen peer answers only after 3 s: an answer well before that shows the names'
    # 0.5 s budget cut the call (the slack is for a loaded machine, where 1.5 s was missed).
    assert time.monotonic() - started < 2.5
    assert response.status_code == 200
    body = response.get_json()
    assert body["degraded"] is True
    people_shown = (
        [body["owner"], body["member"]]
        if route == "get"
        else [i["owner"] for i in body["items"]] + [i.get("member") for i in body["items"]]
    )
    people_shown = [p for p in people_shown if p]
    assert people_shown and all(p["displayName"] is None for p in people_shown)
    assert all(uuid.UUID(p["userId"]) for p in people_shown)


def test_creating_a_list_while_user_service_is_away_is_503_and_creates_nothing(
    away_client, lists, make_user
):
    ann, ben = make_user("Ann"), make_user("Ben")
    started = time.monotonic()
    response = away_client.post(
        "/friendswatchlists", json={"name": "N", "friendId": str(ben)}, headers=identity(ann)
    )
    assert time.monotonic() - started < 1.5
    assert_problem(response, 503)
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0
