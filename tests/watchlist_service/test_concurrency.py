"""Watchlist service: parallel changes of one entry over real HTTP leave one consistent story."""

import threading

import requests

from servicekit.contract import MEDIA_ENTRY_CHANGED
from tests.helpers import identity
from tests.watchlist_service.support import Caller, publish_all, read_topic

CHANGES = [
    {"status": "watching", "rating": 3},
    {"status": "watched"},
    {"rating": 9},
    {"status": "on_hold", "rating": None},
    {"progress": 40},
    {"status": "dropped", "rating": 1},
    {"rating": 5, "progress": 2},
    {"status": "watched", "rating": 10},
    {"status": "added"},
    {"rating": 7},
]


def test_parallel_patches_of_one_entry_leave_a_consistent_event_chain(
    app, live_server, media_id, kafka_bootstrap, topic_prefix
):
    server = live_server(app)
    owner = Caller(app.test_client())
    list_id, mid = owner.new_list(), media_id()
    owner.add(list_id, mid)
    url = f"{server.url}/watchlists/{list_id}/media/{mid}"
    start = threading.Barrier(len(CHANGES))
    answers = [None] * len(CHANGES)

    def patch(i: int) -> None:
        with requests.Session() as http:
            start.wait()
            headers = identity(owner.user_id)
            answers[i] = http.patch(url, json=CHANGES[i], headers=headers, timeout=10)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(len(CHANGES))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [200] * len(CHANGES)

    final = owner.show(list_id)["media"][0]
    publish_all(app, kafka_bootstrap, topic_prefix)
    events = [
        e
        for e in read_topic(kafka_bootstrap, topic_prefix + MEDIA_ENTRY_CHANGED)
        if e.get("listId") == list_id
    ]
    chain = [(e["before"], e["after"]) for e in events]
    me = str(owner.user_id)
    added = {"status": "added", "rating": None, "timesWatched": 0, "userId": me}
    assert chain[0] == (None, {**added, "visibility": "private"})
    for (_, after), (before, _) in zip(chain, chain[1:], strict=False):
        assert before == after, chain
    assert all(before != after for before, after in chain)
    assert chain[-1][1] == {
        "status": final["status"],
        "rating": final["rating"],
        "timesWatched": final["timesWatched"],
        "userId": me,
        "visibility": "private",
    }
    assert final["progress"] in (None, 40, 2)


def test_parallel_patches_with_one_if_match_let_exactly_one_through(app, live_server, media_id):
    server = live_server(app)
    owner = Caller(app.test_client())
    list_id, mid = owner.new_list(), media_id()
    tag = owner.add(list_id, mid)["etag"]
    url = f"{server.url}/watchlists/{list_id}/media/{mid}"
    start = threading.Barrier(len(CHANGES))
    answers = [None] * len(CHANGES)

    def patch(i: int) -> None:
        with requests.Session() as http:
            start.wait()
            headers = {**identity(owner.user_id), "If-Match": tag}
            answers[i] = http.patch(url, json=CHANGES[i], headers=headers, timeout=10)

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(len(CHANGES))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [412] * (len(CHANGES) - 1)
    [winner] = [a.json() for a in answers if a.status_code == 200]
    assert owner.show(list_id)["media"][0] == winner
