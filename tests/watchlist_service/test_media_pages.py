"""Paged media: the first page in a list's GET, and `GET .../media` with status, sort, cursor."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from servicekit.keyset import MediaQuery, page_statement, sort_key
from tests.helpers import assert_problem
from watchlist_service.models import Entry, db


def _seed(app, list_id: str, count: int, first_media: int) -> None:
    """`count` entries in one statement: ratings 1..10 with every seventh unrated."""
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO entries (list_id, media_id, status, rating, added_at, updated_at)"
                " SELECT :list, :first + i, (ARRAY['added','watching','watched'])[1 + i % 3],"
                " CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % 10 END,"
                " now() - make_interval(secs => :count - i), now()"
                " FROM generate_series(0, :count - 1) AS i"
            ),
            {"list": uuid.UUID(list_id), "first": first_media, "count": count},
        )
        db.session.commit()


def _walk(caller, list_id: str, query: str) -> list[dict]:
    """Every page of `GET .../media?<query>`, in order."""
    items, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = caller.request("GET", f"/watchlists/{list_id}/media?{query}{suffix}")
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        items += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return items


def test_a_list_shows_its_first_page_its_total_and_a_cursor_for_the_rest(app, caller, media_id):
    list_id = caller.new_list()
    _seed(app, list_id, 120, media_id() * 1000)
    body = caller.show(list_id)
    assert body["mediaCount"] == 120 and len(body["media"]) == 50
    rest = _walk(caller, list_id, f"limit=200&cursor={body['nextCursor']}")
    media = [m["mediaId"] for m in body["media"] + rest]
    assert len(media) == 120 and media == sorted(media)  # oldest addition first


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_by_rating_put_unrated_entries_at_the_low_end(app, caller, media_id, order):
    list_id = caller.new_list()
    _seed(app, list_id, 40, media_id() * 1000)
    walked = _walk(caller, list_id, f"sort=rating&order={order}&limit=7")
    keys = [(m["rating"] or 0, m["mediaId"]) for m in walked]
    assert len(walked) == 40 and keys == sorted(keys, reverse=order == "desc")
    unrated = [m["rating"] is None for m in walked]
    assert unrated == sorted(unrated, reverse=order == "asc")


def test_pages_filter_by_status_and_sort_by_last_change(caller, media_id):
    list_id = caller.new_list()
    ids = [media_id() for _ in range(6)]
    for mid in ids:
        caller.add(list_id, mid, status="watching")
    for mid in (ids[4], ids[1], ids[3]):
        caller.request("PATCH", f"/watchlists/{list_id}/media/{mid}", json={"status": "watched"})
    walked = _walk(caller, list_id, "status=watched&sort=updatedAt&order=desc&limit=2")
    assert [m["mediaId"] for m in walked] == [ids[3], ids[1], ids[4]]


@pytest.mark.parametrize(
    "query",
    ["sort=name", "order=up", "status=finished", "limit=0", "limit=201", "cursor=nonsense"],
)
def test_bad_page_parameters_are_422(caller, query):
    list_id = caller.new_list()
    assert_problem(caller.request("GET", f"/watchlists/{list_id}/media?{query}"), 422)


def test_a_cursor_given_with_other_parameters_is_422(app, caller, media_id):
    list_id = caller.new_list()
    _seed(app, list_id, 5, media_id() * 1000)
    first = caller.request("GET", f"/watchlists/{list_id}/media?sort=rating&limit=2").get_json()
    other = f"/watchlists/{list_id}/media?sort=addedAt&limit=2&cursor={first['nextCursor']}"
    body = assert_problem(caller.request("GET", other), 422)
    assert "cursor" in body["errors"]


def test_someone_elses_media_are_404(caller, stranger):
    list_id = caller.new_list()
    assert_problem(stranger.request("GET", f"/watchlists/{list_id}/media"), 404)


@pytest.mark.parametrize("sort", ["addedAt", "updatedAt", "rating"])
@pytest.mark.parametrize("status", [None, "watched"])
def test_a_first_page_of_a_big_list_is_an_index_range_not_a_sort(
    app, caller, media_id, sort, status
):
    list_id = caller.new_list()
    _seed(app, list_id, 10_000, media_id() * 100_000)
    query = MediaQuery(sort=sort, order="desc", status=status)
    statement = page_statement(
        db.select(Entry.media_id, sort_key(Entry, sort), Entry.media_id).where(
            Entry.list_id == uuid.UUID(list_id)
        ),
        Entry,
        query,
    )
    with app.app_context():
        db.session.execute(text("ANALYZE entries"))
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_entries_list_" in plan and "Sort" not in plan, plan
