"""Media statistics API: one media, a batch, the top list, and bad requests."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mediastatistics_service.models import db
from tests.helpers import assert_problem

ZERO = {
    "added": 0, "watching": 0, "watched": 0, "onHold": 0, "dropped": 0,
    "total": 0, "ratingCount": 0, "ratingAverage": None, "updatedAt": None,
    "ratingDistribution": {str(r): 0 for r in range(1, 11)},
}  # fmt: skip


def store(app, rows: list[tuple[int, int, int, int, int, int, int, int]]) -> None:
    """Write counters directly (media_id, added, watching, watched, on_hold, dropped, rc, rs)."""
    with app.app_context():
        for row in rows:
            db.session.execute(
                text(
                    "INSERT INTO media_stats (media_id, added, watching, watched, on_hold, "
                    "dropped, rating_count, rating_sum) VALUES (:m, :a, :w, :d, :h, :x, :c, :s)"
                ),
                dict(zip("mawdhxcs", row, strict=True)),
            )
        db.session.commit()


@pytest.fixture(scope="module")
def shared(make_app, create_database):
    """One database for the whole module, holding the rows below (reads only)."""
    app = make_app(
        "mediastatistics_service", DATABASE_URL=create_database("mediastatistics_service", "_api")
    )
    store(
        app,
        [
            (1, 0, 2, 0, 1, 0, 0, 0),  # total 3
            (2, 0, 5, 0, 0, 0, 0, 0),  # total 5, most watching
            (3, 9, 0, 0, 0, 0, 0, 0),  # total 9
            (4, 0, 0, 0, 0, 0, 0, 0),  # tracked once, now zero everywhere
            (7, 1, 2, 3, 4, 5, 3, 20),  # total 15
            *((m, 1, 0, 0, 0, 0, 0, 0) for m in range(20, 32)),  # total 1 each
        ],
    )
    return app


@pytest.fixture
def client(shared):
    """A client of the shared module database."""
    return shared.test_client()


def test_untracked_media_has_zeros(client):
    body = client.get("/mediastatistics/42").get_json()
    assert body == {"mediaType": "movie", "mediaId": 42, **ZERO}


def test_tracked_media_has_counters_total_and_average(client):
    body = client.get("/mediastatistics/7").get_json()
    assert body["total"] == 15 and body["onHold"] == 4 and body["ratingCount"] == 3
    assert body["ratingAverage"] == 6.67
    assert body["updatedAt"].endswith("Z")


def test_batch_answers_in_the_order_asked_with_zeros(client):
    items = client.get("/mediastatistics?ids=3,1000,2,3").get_json()["items"]
    assert [(i["mediaId"], i["total"]) for i in items] == [(3, 9), (1000, 0), (2, 5)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?limit=4", [7, 3, 2, 1]),
        ("?status=watching", [2, 1, 7]),
        ("?status=on_hold", [7, 1]),
        ("?status=onHold", [7, 1]),
        ("?status=dropped", [7]),
        ("?status=watched&limit=100", [7]),
        ("?limit=1", [7]),
        ("?status=watching&limit=1", [2]),
        ("?status=added&limit=3", [3, 7, 20]),
    ],
)
def test_top_is_most_tracked_first_without_zeros(client, query, expected):
    items = client.get(f"/mediastatistics/top{query}").get_json()["items"]
    assert [i["mediaId"] for i in items] == expected


def test_top_defaults_to_ten_by_total(client):
    items = client.get("/mediastatistics/top").get_json()["items"]
    assert [i["mediaId"] for i in items] == [7, 3, 2, 1, 20, 21, 22, 23, 24, 25]


def test_top_uses_an_index(shared):
    with shared.app_context():
        db.session.execute(text("SET enable_seqscan = off"))
        plan = db.session.execute(
            text("EXPLAIN SELECT * FROM media_stats WHERE watching > 0 "
                 "ORDER BY watching DESC, media_id LIMIT 10")
        ).scalars().all()  # fmt: skip
    assert "ix_media_stats_watching_rank" in "\n".join(plan)


@pytest.mark.parametrize(
    "path",
    ["/mediastatistics/0", "/mediastatistics/-1", "/mediastatistics/abc",
     "/mediastatistics/9223372036854775808", "/mediastatistics/1.5"],
)  # fmt: skip
def test_impossible_media_ids_are_404(client, path):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    "query",
    [
        "", "?ids=", "?ids=,", "?ids=a", "?ids=0", "?ids=-3", "?ids=1.5", "?ids=1,x",
        "?ids=" + ",".join(str(i) for i in range(1, 102)), "?ids=99999999999999999999",
    ],
)  # fmt: skip
def test_bad_batch_queries_are_422(client, query):
    assert assert_problem(client.get(f"/mediastatistics{query}"), 422)["errors"]


@pytest.mark.parametrize(
    "query", ["?status=loved", "?limit=0", "?limit=101", "?limit=ten", "?status="]
)
def test_bad_top_queries_are_422(client, query):
    assert assert_problem(client.get(f"/mediastatistics/top{query}"), 422)["errors"]


def test_hundred_ids_are_allowed(client):
    ids = ",".join(str(i) for i in range(1, 101))
    assert len(client.get(f"/mediastatistics?ids={ids}").get_json()["items"]) == 100


def test_writes_are_not_allowed(client):
    assert_problem(client.post("/mediastatistics/5", json={}), 405)


def test_openapi_document_lists_the_routes(client):
    paths = client.get("/mediastatistics/openapi.json").get_json()["paths"]
    assert {
        "/mediastatistics",
        "/mediastatistics/top",
        "/mediastatistics/trending",
        "/mediastatistics/{media_id}",
        "/mediastatistics/{media_type}/{media_id}",
    } <= set(paths)


def test_typed_title_and_batch_answer_without_deprecation(client):
    one = client.get("/mediastatistics/movie/7")
    assert one.get_json()["total"] == 15 and "Deprecation" not in one.headers
    assert one.get_json()["mediaType"] == "movie"
    batch = client.get("/mediastatistics?ids=movie:3,tv:3,movie:2")
    assert "Deprecation" not in batch.headers
    items = batch.get_json()["items"]
    assert [(i["mediaType"], i["mediaId"], i["total"]) for i in items] == [
        ("movie", 3, 9), ("tv", 3, 0), ("movie", 2, 5)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "successor"),
    [
        ("/mediastatistics/7", "/mediastatistics/movie/7"),
        ("/mediastatistics?ids=3,tv:2", "/mediastatistics?ids=movie:3,tv:2"),
    ],
)
def test_untyped_paths_still_answer_as_movies_and_say_they_are_deprecated(client, path, successor):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Deprecation"] == "@1796083200"
    assert response.headers["Link"] == f'<{successor}>; rel="successor-version"'
    typed = client.get(successor).get_json()
    assert response.get_json() == typed


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?mediaType=movie&limit=2", [7, 3]),
        ("?mediaType=tv", []),
        ("?mediaType=movie&status=dropped", [7]),
    ],
)
def test_top_filters_by_media_type(client, query, expected):
    items = client.get(f"/mediastatistics/top{query}").get_json()["items"]
    assert [i["mediaId"] for i in items] == expected


@pytest.mark.parametrize(
    "path", ["/mediastatistics/book/5", "/mediastatistics/tv/0", "/mediastatistics/TV/5",
             "/mediastatistics/tv/abc", "/mediastatistics/top/5", "/mediastatistics/tv/5/6"],
)  # fmt: skip
def test_impossible_typed_titles_are_404(client, path):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    "query",
    ["?ids=book:5", "?ids=tv:", "?ids=:5", "?ids=tv:tv:5", "?ids=tv:0", "?ids=movie:-1",
     "?ids=tv:99999999999999999999", "?ids=" + ",".join(f"tv:{i}" for i in range(1, 102))],
)  # fmt: skip
def test_bad_typed_batch_ids_are_422(client, query):
    assert assert_problem(client.get(f"/mediastatistics{query}"), 422)["errors"]


@pytest.mark.parametrize("query", ["?mediaType=book", "?mediaType=", "?mediaType=Movie"])
def test_bad_media_type_in_top_is_422(client, query):
    assert assert_problem(client.get(f"/mediastatistics/top{query}"), 422)["errors"]
