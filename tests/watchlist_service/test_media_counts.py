"""Watchlist service: `/internal/media-counts`, the statistics service's catch-up source."""

import pytest

from servicekit import counts as counts_module
from tests.helpers import assert_problem, service_headers
from tests.watchlist_service.support import Caller


def counts(client, query: str) -> dict:
    response = client.get(
        f"/internal/media-counts?{query}", headers=service_headers("mediastatistics", "watchlist")
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_counts_sum_statuses_and_ratings_over_all_lists(client, media_id):
    a, b = Caller(client), Caller(client)
    first, second = media_id(), media_id()
    lists = [a.new_list(), a.new_list(), b.new_list()]
    a.add(lists[0], first, status="watching", rating=8)
    a.add(lists[1], first, status="watching")
    b.add(lists[2], first, status="on_hold", rating=3)
    b.add(lists[2], second, status="dropped", rating=10)
    page = counts(client, f"after={first - 1}&limit=2")
    assert page["items"] == [
        {
            "mediaId": first,
            "mediaType": "movie",
            "added": 0,
            "watching": 2,
            "watched": 0,
            "onHold": 1,
            "dropped": 0,
            "ratingCount": 2,
            "ratingSum": 11,
        },
        {
            "mediaId": second,
            "mediaType": "movie",
            "added": 0,
            "watching": 0,
            "watched": 0,
            "onHold": 0,
            "dropped": 1,
            "ratingCount": 1,
            "ratingSum": 10,
        },
    ]


def test_pages_follow_media_id_until_next_after_is_null(client, media_id):
    owner = Caller(client)
    list_id = owner.new_list()
    made = [media_id() for _ in range(5)]
    for mid in made:
        owner.add(list_id, mid)
    seen, after = [], made[0] - 1
    while after is not None:
        page = counts(client, f"after={after}&limit=2")
        assert len(page["items"]) <= 2
        seen += [item["mediaId"] for item in page["items"]]
        after = page["nextAfter"]
    assert seen[:5] == made and seen == sorted(seen)


def test_a_page_holds_about_rows_per_page_entries_and_never_splits_a_title(
    client, media_id, monkeypatch
):
    monkeypatch.setattr(counts_module, "ROWS_PER_PAGE", 3)
    owner = Caller(client)
    lists = [owner.new_list() for _ in range(4)]
    popular, *rest = [media_id() for _ in range(4)]
    for list_id in lists:  # 4 entries: above the budget alone
        owner.add(list_id, popular)
    for mid in rest:
        owner.add(lists[0], mid)
    pages, after = [], popular - 1
    while after is not None and after < rest[-1]:
        page = counts(client, f"after={after}&limit=100")
        pages.append(
            [(item["mediaId"], item["watching"] + item["added"]) for item in page["items"]]
        )
        after = page["nextAfter"]
    assert pages[0] == [(popular, 4)]  # whole, though over the budget
    assert pages[1] == [(mid, 1) for mid in rest]  # three entries: within it


def test_removed_entries_no_longer_count(client, media_id):
    owner = Caller(client)
    list_id, mid = owner.new_list(), media_id()
    owner.add(list_id, mid, rating=5)
    owner.request("DELETE", f"/watchlists/{list_id}")
    page = counts(client, f"after={mid - 1}&limit=1")
    assert all(item["mediaId"] != mid for item in page["items"])


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_counts_need_the_service_credential(client, headers):
    assert_problem(client.get("/internal/media-counts", headers=headers), 403)


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "after=-1", "after=x", "limit=1.5"])
def test_bad_count_queries_are_422(client, query):
    response = client.get(
        f"/internal/media-counts?{query}", headers=service_headers("mediastatistics", "watchlist")
    )
    assert assert_problem(response, 422)["errors"]


def test_limit_up_to_5000_is_accepted(client):
    assert counts(client, "limit=5000")["items"] is not None
