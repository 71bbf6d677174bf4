"""Watchlist service: creating, listing, showing, renaming and deleting personal lists."""

import uuid

import pytest
from sqlalchemy import event

from tests.helpers import assert_problem
from watchlist_service.models import db


def test_created_list_has_contract_fields(caller):
    response = caller.request("POST", "/watchlists", json={"name": "  Weekend films "})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"listId", "name", "visibility", "mediaCount", "createdAt", "updatedAt"}
    assert uuid.UUID(body["listId"])
    assert body["name"] == "Weekend films"
    assert body["mediaCount"] == 0
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")


def test_shown_list_carries_its_media_in_order_added(caller, media_id):
    list_id = caller.new_list("Series")
    first, second = media_id(), media_id()
    caller.add(list_id, first, status="watching", progress=3, rating=8)
    caller.add(list_id, second)
    body = caller.show(list_id)
    assert body["listId"] == list_id and body["name"] == "Series" and body["mediaCount"] == 2
    assert [m["mediaId"] for m in body["media"]] == [first, second]
    assert body["media"][0] == {
        "mediaType": "movie",
        "mediaId": first,
        "status": "watching",
        "progress": 3,
        "episodeProgress": None,
        "rating": 8,
        "notes": None,
        "timesWatched": 0,
        "lastWatchedAt": None,
        "addedAt": body["media"][0]["addedAt"],
        "updatedAt": body["media"][0]["updatedAt"],
        "etag": '"2"',  # the list's version when it was added (created at 1)
    }
    assert body["media"][1]["status"] == "added" and body["media"][1]["rating"] is None
    assert body["nextCursor"] is None


def test_lists_show_media_counts_newest_first(caller, media_id):
    older, newer = caller.new_list("Older"), caller.new_list("Newer")
    for _ in range(3):
        caller.add(older, media_id())
    items = caller.request("GET", "/watchlists").get_json()["items"]
    assert [(i["listId"], i["mediaCount"]) for i in items] == [(newer, 0), (older, 3)]


def test_listing_counts_media_in_one_query_whatever_the_number_of_lists(app, caller, media_id):
    for _ in range(4):
        caller.add(caller.new_list(), media_id())
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = caller.request("GET", "/watchlists")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [i["mediaCount"] for i in response.get_json()["items"]] == [1, 1, 1, 1]
    assert len(statements) == 1


def test_pages_cover_every_list_once(caller):
    made = [caller.new_list(f"List {i}") for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/watchlists?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = caller.request("GET", url).get_json()
        assert len(page["items"]) <= 2
        seen += [item["listId"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert pages == 3


def test_someone_elses_lists_are_not_listed(caller, stranger):
    caller.new_list("Mine")
    assert stranger.request("GET", "/watchlists").get_json() == {"items": [], "nextCursor": None}


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "cursor=garbage"])
def test_bad_page_queries_are_422(caller, query):
    body = assert_problem(caller.request("GET", f"/watchlists?{query}"), 422)
    assert body["errors"]


def test_owner_renames_list_and_updated_at_moves(caller):
    list_id = caller.new_list("Old")
    before = caller.show(list_id)
    response = caller.request("PATCH", f"/watchlists/{list_id}", json={"name": "New"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "New" and body["listId"] == list_id and body["mediaCount"] == 0
    assert body["updatedAt"] > before["updatedAt"]
    assert body["createdAt"] == before["createdAt"]
    assert caller.show(list_id)["name"] == "New"


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 5}, {"name": None}, {}, [], None]
    + [{"name": "ok", "owner": str(uuid.uuid4())}],
)
def test_invalid_names_are_422_and_change_nothing(caller, body):
    list_id = caller.new_list("Same")
    assert_problem(caller.request("POST", "/watchlists", json=body), 422)
    assert_problem(caller.request("PATCH", f"/watchlists/{list_id}", json=body), 422)
    assert caller.show(list_id)["name"] == "Same"
    assert len(caller.request("GET", "/watchlists").get_json()["items"]) == 1


def test_name_of_100_characters_is_accepted(caller):
    assert caller.request("POST", "/watchlists", json={"name": "x" * 100}).status_code == 201


def test_deleted_list_is_gone_with_its_media(caller, media_id):
    list_id = caller.new_list()
    caller.add(list_id, media_id())
    assert caller.request("DELETE", f"/watchlists/{list_id}").status_code == 204
    assert_problem(caller.request("GET", f"/watchlists/{list_id}"), 404)
    assert_problem(caller.request("DELETE", f"/watchlists/{list_id}"), 404)
    assert caller.request("GET", "/watchlists").get_json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/watchlists/not-a-uuid",
        f"/watchlists/{uuid.uuid4()}",
        "/watchlists/not-a-uuid/media/1",
        "/watchlists/{list}/media/abc",
        "/watchlists/{list}/media/-1",
        "/watchlists/{list}/media/0",
        "/watchlists/{list}/media/99999999999999999999999",
    ],
)
def test_bad_or_unknown_ids_in_paths_are_404(caller, path):
    path = path.replace("{list}", caller.new_list())
    on_list = path.count("/") == 2
    assert_problem(caller.request("GET" if on_list else "DELETE", path), 404)
    body = {"name": "x"} if on_list else {"status": "watched"}
    assert_problem(caller.request("PATCH", path, json=body), 404)


def test_malformed_json_and_oversized_body_are_problems(caller):
    headers = {**caller.headers, "Content-Type": "application/json"}
    client = caller.client
    assert_problem(client.post("/watchlists", data="{oops", headers=headers), 400)
    big = '{"name": "' + "x" * (2 * 1024 * 1024) + '"}'
    assert_problem(client.post("/watchlists", data=big, headers=headers), 413)
    assert caller.request("GET", "/watchlists").get_json()["items"] == []


def test_openapi_document_lists_routes(client):
    doc = client.get("/watchlists/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/watchlists",
        "/watchlists/{list_id}",
        "/watchlists/{list_id}/media",
        "/watchlists/{list_id}/media/{media_id}",
        "/users/{user_id}/watchlists",
    } <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert schemas["ListCreate"]["properties"]["visibility"]["enum"] == [
        "private",
        "friends",
        "unlisted",
        "public",
    ]
    assert "visibility" in schemas["ListUpdate"]["properties"]
    assert "visibility" in schemas["ListOut"]["properties"]
    assert "degraded" in schemas["PersonListPage"]["properties"]
    # reads visibility may open to anyone take a token but do not need one
    shown = doc["paths"]["/watchlists/{list_id}"]["get"]
    assert {} in shown["security"] and {"bearerAuth": []} in shown["security"]


def test_health_and_metrics(client):
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"]
    assert b"flask_http_request" in client.get("/metrics").data
