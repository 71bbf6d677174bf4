"""Statistics follow every change of personal and shared lists, through outbox, Kafka, consumer."""

import pytest
import requests

from tests.e2e.support import (
    add_media,
    befriend,
    counters,
    new_media_id,
    personal_list,
    shared_list,
    stats_become,
)


def a_list(kind: str, user, other) -> tuple[object, str]:
    """(the editor, the list's path): a personal list, or a shared one its member edits."""
    if kind == "personal":
        return user, f"/watchlists/{personal_list(user)}"
    befriend(user, other)
    return other, f"/friendswatchlists/{shared_list(user, other)}"


@pytest.mark.parametrize("kind", ["personal", "shared"])
def test_counters_follow_add_status_rating_and_removal(gateway, user, other, kind):
    editor, path = a_list(kind, user, other)
    media = new_media_id()
    entry = f"{path}/media/{media}"

    add_media(editor, path, media, status="watching", rating=8)
    stats_become(gateway, media, counters(status={"watching": 1}, ratings=(8,)))

    assert editor.patch(entry, json={"status": "on_hold"}).status_code == 200
    stats_become(gateway, media, counters(status={"onHold": 1}, ratings=(8,)))

    assert editor.patch(entry, json={"rating": 5}).status_code == 200
    stats_become(gateway, media, counters(status={"onHold": 1}, ratings=(5,)))

    assert editor.patch(entry, json={"rating": None, "progress": 4}).status_code == 200
    stats_become(gateway, media, counters(status={"onHold": 1}))

    assert editor.delete(entry).status_code == 204
    body = stats_become(gateway, media, counters())
    assert body["mediaId"] == media


@pytest.mark.parametrize("kind", ["personal", "shared"])
def test_deleting_a_list_takes_its_entries_out_of_the_counters(gateway, user, other, kind):
    editor, path = a_list(kind, user, other)
    media = new_media_id()
    add_media(editor, path, media, status="watched", rating=9)
    stats_become(gateway, media, counters(status={"watched": 1}, ratings=(9,)))
    assert user.delete(path).status_code == 204  # the owner deletes, in both kinds
    stats_become(gateway, media, counters())


def test_personal_and_shared_entries_add_up(gateway, user, other):
    media = new_media_id()
    befriend(user, other)
    add_media(user, f"/watchlists/{personal_list(user)}", media, status="dropped", rating=2)
    add_media(other, f"/watchlists/{personal_list(other)}", media, status="dropped")
    add_media(other, f"/friendswatchlists/{shared_list(user, other)}", media, rating=7)
    # The shared entry counts for the list's owner (user): user counts once as dropped and
    # once as added, with one rating, the latest user's entries got (7).
    stats_become(gateway, media, counters(status={"dropped": 2, "added": 1}, ratings=(7,)))


def test_batch_and_top_are_public_and_agree_with_single_reads(gateway, user, other):
    tracked, untracked = new_media_id(), new_media_id()
    for api in (user, other):
        add_media(api, f"/watchlists/{personal_list(api)}", tracked, status="dropped")
    stats_become(gateway, tracked, counters(status={"dropped": 2}))

    batch = requests.get(f"{gateway}/mediastatistics?ids={untracked},{tracked}", timeout=10)
    assert batch.status_code == 200
    items = batch.json()["items"]
    assert [i["mediaId"] for i in items] == [untracked, tracked]
    assert (items[0]["total"], items[0]["ratingAverage"]) == (0, None)
    assert (items[1]["dropped"], items[1]["total"]) == (2, 2)

    top = requests.get(f"{gateway}/mediastatistics/top?status=dropped&limit=100", timeout=10)
    assert top.status_code == 200
    dropped = [i["dropped"] for i in top.json()["items"]]
    assert dropped == sorted(dropped, reverse=True) and all(n > 0 for n in dropped)
    ranked = [i["mediaId"] for i in top.json()["items"]]
    assert tracked in ranked or (len(ranked) == 100 and min(dropped) >= 2)
