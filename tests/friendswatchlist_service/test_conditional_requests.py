"""Two members of one shared list editing the same entry: If-Match keeps either from losing."""

from __future__ import annotations

import pytest

from devstack.ports import free_port
from tests.helpers import assert_problem, identity


@pytest.fixture
def shared(lists, make_user):
    """An active list of Ann (owner) and Ben (member)."""
    ann, ben = make_user("Ann"), make_user("Ben")
    return ann, ben, lists.active(ann, ben)


def _conditional(who, header: str, tag: str) -> dict:
    return {**identity(who), header: tag}


def _entry(lists, who, list_id: str, media_id: int) -> dict:
    media = lists.get(who, list_id).get_json()["media"]
    return next(m for m in media if m["mediaId"] == media_id)


def test_the_second_of_two_members_editing_one_entry_gets_412_and_the_first_change_stays(
    client, lists, shared
):
    ann, ben, list_id = shared
    lists.add(ann, list_id, 77, status="watching")
    anns_copy, bens_copy = _entry(lists, ann, list_id, 77), _entry(lists, ben, list_id, 77)
    assert anns_copy["etag"] == bens_copy["etag"]
    path = f"/friendswatchlists/{list_id}/media/77"

    first = client.patch(
        path, json={"rating": 9}, headers=_conditional(ann, "If-Match", anns_copy["etag"])
    )
    second = client.patch(
        path,
        json={"status": "dropped", "rating": 2},
        headers=_conditional(ben, "If-Match", bens_copy["etag"]),
    )

    assert first.status_code == 200
    body = assert_problem(second, 412)
    assert body["type"] == "/problems/precondition-failed"
    assert body["currentEtag"] == first.headers["ETag"]
    kept = _entry(lists, ben, list_id, 77)
    assert (kept["status"], kept["rating"], kept["etag"]) == ("watching", 9, first.headers["ETag"])


def test_a_stale_remove_by_the_member_is_412_and_the_entry_stays(client, lists, shared):
    ann, ben, list_id = shared
    old = lists.add(ann, list_id, 78)["etag"]
    path = f"/friendswatchlists/{list_id}/media/78"
    assert client.patch(path, json={"progress": 4}, headers=identity(ann)).status_code == 200
    assert_problem(client.delete(path, headers=_conditional(ben, "If-Match", old)), 412)
    assert _entry(lists, ann, list_id, 78)["progress"] == 4
    current = _entry(lists, ben, list_id, 78)["etag"]
    assert client.delete(path, headers=_conditional(ben, "If-Match", current)).status_code == 204


def test_a_list_answers_304_until_someone_changes_it(client, lists, shared):
    ann, ben, list_id = shared
    tag = lists.get(ann, list_id).headers["ETag"]
    path = f"/friendswatchlists/{list_id}"
    unchanged = client.get(path, headers=_conditional(ben, "If-None-Match", tag))
    assert unchanged.status_code == 304 and unchanged.data == b""
    lists.add(ben, list_id, 79)
    changed = client.get(path, headers=_conditional(ann, "If-None-Match", tag))
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert [m["mediaId"] for m in changed.get_json()["media"]] == [79]


def test_a_stale_rename_is_412_and_the_owner_deletes_with_the_current_tag(client, lists, shared):
    ann, ben, list_id = shared
    path = f"/friendswatchlists/{list_id}"
    old = lists.get(ann, list_id).headers["ETag"]
    renamed = client.patch(path, json={"name": "Ben's"}, headers=_conditional(ben, "If-Match", old))
    assert renamed.status_code == 200 and renamed.headers["ETag"] != old
    stale = client.patch(path, json={"name": "Ann's"}, headers=_conditional(ann, "If-Match", old))
    assert_problem(stale, 412)
    assert lists.get(ann, list_id).get_json()["name"] == "Ben's"
    assert_problem(client.delete(path, headers=_conditional(ann, "If-Match", old)), 412)
    current = renamed.headers["ETag"]
    assert client.delete(path, headers=_conditional(ann, "If-Match", current)).status_code == 204


def test_media_pages_walk_filter_and_refuse_a_cursor_of_other_parameters(client, lists, shared):
    ann, ben, list_id = shared
    for media_id, rating in [(1, 5), (2, None), (3, 9), (4, 1), (5, 7)]:
        lists.add(ann, list_id, media_id, rating=rating, status="watched" if rating else "added")
    detail = lists.get(ben, list_id).get_json()
    assert detail["mediaCount"] == 5 and detail["nextCursor"] is None
    path = f"/friendswatchlists/{list_id}/media"
    seen, cursor = [], ""
    while cursor is not None:
        page = client.get(f"{path}?sort=rating&order=desc&limit=2{cursor}", headers=identity(ben))
        body = page.get_json()
        seen += [m["mediaId"] for m in body["items"]]
        cursor = body["nextCursor"] and f"&cursor={body['nextCursor']}"
    assert seen == [3, 5, 1, 4, 2]
    watched = client.get(f"{path}?status=watched&limit=1", headers=identity(ben)).get_json()
    assert [m["mediaId"] for m in watched["items"]] == [1]
    reused = client.get(
        f"{path}?status=added&cursor={watched['nextCursor']}", headers=identity(ben)
    )
    assert_problem(reused, 422)


def test_someone_elses_media_page_is_404(client, lists, shared, make_user):
    _, _, list_id = shared
    stranger = make_user("Cy")
    assert_problem(
        client.get(f"/friendswatchlists/{list_id}/media", headers=identity(stranger)), 404
    )


def test_a_degraded_answer_has_no_etag_to_revalidate(make_app, lists, shared):
    ann, _, list_id = shared
    assert "ETag" in lists.get(ann, list_id).headers
    away = make_app("friendswatchlist_service", USER_SERVICE_URL=f"http://127.0.0.1:{free_port()}")
    response = away.test_client().get(f"/friendswatchlists/{list_id}", headers=identity(ann))
    assert response.status_code == 200 and response.get_json()["degraded"] is True
    assert "ETag" not in response.headers
