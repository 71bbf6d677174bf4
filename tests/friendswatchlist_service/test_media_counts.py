"""`GET /internal/media-counts`: the statistics service's catch-up read, paged by mediaId."""

import itertools

import pytest

from tests.helpers import assert_problem, identity, service_headers

# Each test takes media ids above every id used before it in this session's database,
# so a page starting at its base sees only its own entries.
_BASES = itertools.count(2**62, 1000)
KEYS = {
    *("mediaId", "mediaType", "added", "watching", "watched", "onHold", "dropped"),
    *("ratingCount", "ratingSum"),
}


@pytest.fixture
def base(lists, make_user):
    """Media ids above `base` that only this test uses, spread over two lists."""
    base = next(_BASES)
    ann, ben = make_user("Ann"), make_user("Ben")
    first, second = lists.active(ann, ben), lists.create(ben, ann)
    lists.add(ann, first, base + 1, rating=4)
    lists.add(ben, first, base + 2, status="watching")
    lists.add(ben, second, base + 1, status="watched", rating=10)
    lists.add(ben, second, base + 3, status="dropped")
    lists.add(ben, second, base + 4, status="on_hold", rating=1)
    return base


def _page(client, after, limit=None):
    query = f"after={after}" + (f"&limit={limit}" if limit else "")
    response = client.get(
        f"/internal/media-counts?{query}",
        headers=service_headers("mediastatistics", "friendswatchlist"),
    )
    assert response.status_code == 200
    return response.get_json()


def test_counts_are_grouped_by_media_and_paged(client, base):
    first = _page(client, base, 2)
    assert set(first) == {"items", "nextAfter"}
    assert all(set(item) == KEYS for item in first["items"])
    assert first["items"] == [
        {"mediaId": base + 1, "mediaType": "movie", "added": 1, "watching": 0, "watched": 1,
         "onHold": 0, "dropped": 0, "ratingCount": 2, "ratingSum": 14},
        {"mediaId": base + 2, "mediaType": "movie", "added": 0, "watching": 1, "watched": 0,
         "onHold": 0, "dropped": 0, "ratingCount": 0, "ratingSum": 0},
    ]  # fmt: skip
    assert first["nextAfter"] == base + 2
    second = _page(client, first["nextAfter"], 2)
    assert [(i["mediaId"], i["dropped"], i["onHold"], i["ratingSum"]) for i in second["items"]] == [
        (base + 3, 1, 0, 0),
        (base + 4, 0, 1, 1),
    ]
    assert second["nextAfter"] is None  # the last page says so itself


def test_default_page_ends_with_null_next_after(client, base):
    page = _page(client, base)
    assert [i["mediaId"] for i in page["items"]] == [base + n for n in (1, 2, 3, 4)]
    assert page["nextAfter"] is None


def test_removed_entries_and_deleted_lists_are_no_longer_counted(client, lists, make_user):
    base = next(_BASES)
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ann, list_id, base + 1, rating=6)
    lists.add(ann, list_id, base + 2)
    client.delete(f"/friendswatchlists/{list_id}/media/{base + 1}", headers=identity(ben))
    assert [i["mediaId"] for i in _page(client, base)["items"]] == [base + 2]
    client.delete(f"/friendswatchlists/{list_id}", headers=identity(ann))
    assert _page(client, base) == {"items": [], "nextAfter": None}


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_media_counts_need_the_service_credential(client, headers):
    assert_problem(client.get("/internal/media-counts", headers=headers), 403)


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "after=-1", "after=x", "limit=1.5"])
def test_bad_media_count_queries_are_422(client, query):
    response = client.get(
        f"/internal/media-counts?{query}",
        headers=service_headers("mediastatistics", "friendswatchlist"),
    )
    assert assert_problem(response, 422)["errors"]


def _people(client, after, limit=None):
    query = f"after={after}" + (f"&limit={limit}" if limit else "")
    response = client.get(
        f"/internal/person-counts?{query}",
        headers=service_headers("mediastatistics", "friendswatchlist"),
    )
    assert response.status_code == 200
    return response.get_json()


def _held(person: dict) -> tuple:
    statuses = tuple(person[k] for k in ("added", "watching", "watched", "onHold", "dropped"))
    return person["userId"], statuses, [rating for rating, _ in person["ratings"]]


def test_person_counts_count_for_each_lists_owner(client, base, lists, make_user):
    page = _people(client, base, 2)
    assert page["nextAfter"] == base + 2
    first, second = page["items"]
    assert first["mediaId"] == base + 1 and second["mediaId"] == base + 2
    # Ann owns `first` (Ben's entry there counts for her), Ben owns `second`.
    owners = {p["userId"] for item in page["items"] for p in item["people"]}
    assert len(owners) == 2
    by_owner = {p["userId"]: _held(p) for p in first["people"]}
    assert sorted(v[1:] for v in by_owner.values()) == [
        ((0, 0, 1, 0, 0), [10]),
        ((1, 0, 0, 0, 0), [4]),
    ]
    assert [_held(p)[1:] for p in second["people"]] == [((0, 1, 0, 0, 0), [])]
    assert all(isinstance(t, float) for p in first["people"] for _, t in p["ratings"])


def test_person_counts_follow_a_hand_over(client, lists, make_user):
    base = next(_BASES)
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.active(ann, ben)
    lists.add(ben, list_id, base + 1, rating=6)
    assert [p["userId"] for p in _people(client, base)["items"][0]["people"]] == [str(ann)]
    client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann))
    (item,) = _people(client, base)["items"]
    assert [_held(p) for p in item["people"]] == [(str(ben), (1, 0, 0, 0, 0), [6])]


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_person_counts_need_the_service_credential(client, headers):
    assert_problem(client.get("/internal/person-counts", headers=headers), 403)
