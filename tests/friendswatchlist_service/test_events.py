"""`media-entry-changed` events: exact before/after, read back from the real broker."""

import pytest
from sqlalchemy import select

from friendswatchlist_service.models import db, outbox
from tests.helpers import identity


def queued(app, list_id: str) -> list[dict]:
    """The outbox rows of one list, in commit order."""
    with app.app_context():
        rows = db.session.scalars(
            select(outbox.c.payload)
            .where(outbox.c.payload["listId"].astext == list_id)
            .order_by(outbox.c.id)
        )
        return list(rows)


def state(side: dict | None) -> dict | None:
    """Status and rating of one side (`people` checks whom; test_typed_entries the watches)."""
    return (
        None
        if side is None
        else {k: v for k, v in side.items() if k not in ("userId", "timesWatched")}
    )


def changes(events: list[dict]) -> list[tuple]:
    """(mediaId, before, after) of each event."""
    return [(e["mediaId"], state(e["before"]), state(e["after"])) for e in events]


def people(events: list[dict]) -> list[tuple]:
    """(actorId, before.userId, after.userId) of each event."""
    return [
        (e["actorId"], *((side or {}).get("userId") for side in (e["before"], e["after"])))
        for e in events
    ]


@pytest.fixture
def shared(lists, make_user):
    """An active list of Ann (owner) and Ben (member)."""
    ann, ben = make_user("Ann"), make_user("Ben")
    return ann, ben, lists.active(ann, ben)


def test_entry_changes_publish_exact_before_and_after(
    app, client, lists, shared, publish, event_reader
):
    ann, ben, list_id = shared
    url = f"/friendswatchlists/{list_id}/media/77"
    lists.add(ann, list_id, 77)
    steps = [
        (ben, {"progress": 4}),
        (ben, {"status": "watching"}),
        (ann, {"rating": 8, "progress": 5}),
        (ann, {"status": "watching"}),
        (ben, {"rating": None}),
    ]
    for who, body in steps:
        assert client.patch(url, json=body, headers=identity(who)).status_code == 200
    assert (
        client.post(
            f"/friendswatchlists/{list_id}/media", json={"mediaId": 77}, headers=identity(ann)
        ).status_code
        == 409
    )
    assert client.delete(url, headers=identity(ben)).status_code == 204
    publish()
    events = event_reader.read(list_id, 5)
    assert changes(events) == [
        (77, None, {"status": "added", "rating": None}),
        (77, {"status": "added", "rating": None}, {"status": "watching", "rating": None}),
        (77, {"status": "watching", "rating": None}, {"status": "watching", "rating": 8}),
        (77, {"status": "watching", "rating": 8}, {"status": "watching", "rating": None}),
        (77, {"status": "watching", "rating": None}, None),
    ]
    assert events == queued(app, list_id)
    a, b = str(ann), str(ben)
    # Whoever edits, the entries count for the owner.
    assert people(events) == [(a, None, a), (b, a, a), (a, a, a), (b, a, a), (b, a, None)]
    first = events[0]
    assert first["type"] == "media.entry_changed" and first["source"] == "friendswatchlist"
    assert first["occurredAt"].endswith("Z") and len({e["eventId"] for e in events}) == 5


def _by_media(events):
    return sorted(changes(events), key=lambda c: (c[0], c[2] is None))


def test_owner_deleting_the_list_publishes_one_removal_per_entry(
    app, client, lists, shared, publish, event_reader
):
    ann, ben, list_id = shared
    lists.add(ann, list_id, 11, status="watched", rating=9)
    lists.add(ben, list_id, 12)
    assert client.delete(f"/friendswatchlists/{list_id}", headers=identity(ann)).status_code == 204
    publish()
    events = event_reader.read(list_id, 4)
    assert _by_media(events) == [
        (11, None, {"status": "watched", "rating": 9}),
        (11, {"status": "watched", "rating": 9}, None),
        (12, None, {"status": "added", "rating": None}),
        (12, {"status": "added", "rating": None}, None),
    ]
    assert sorted(e["eventId"] for e in events) == sorted(
        e["eventId"] for e in queued(app, list_id)
    )


def test_member_leaving_publishes_nothing_and_last_leave_removes_entries(
    app, client, lists, shared, publish, event_reader
):
    ann, ben, list_id = shared
    lists.add(ben, list_id, 21, rating=3)
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ben)).status_code == 204
    )
    assert len(queued(app, list_id)) == 1
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann)).status_code == 204
    )
    publish()
    events = event_reader.read(list_id, 2)
    assert changes(events) == [
        (21, None, {"status": "added", "rating": 3}),
        (21, {"status": "added", "rating": 3}, None),
    ]
    assert events == queued(app, list_id)


def test_owner_handing_over_moves_each_entry_to_the_new_owner(app, client, lists, shared):
    ann, ben, list_id = shared
    lists.add(ann, list_id, 31)
    lists.add(ben, list_id, 32, status="watched", rating=7)
    assert (
        client.post(f"/friendswatchlists/{list_id}/leave", headers=identity(ann)).status_code == 204
    )
    handed = queued(app, list_id)[2:]
    assert sorted(changes(handed)) == [
        (31, {"status": "added", "rating": None}, {"status": "added", "rating": None}),
        (32, {"status": "watched", "rating": 7}, {"status": "watched", "rating": 7}),
    ]
    assert people(handed) == [(str(ann), str(ann), str(ben))] * 2


def test_declining_removes_entries_the_owner_added(
    app, client, lists, make_user, publish, event_reader
):
    ann, ben = make_user("Ann"), make_user("Ben")
    list_id = lists.create(ann, ben)
    lists.add(ann, list_id, 41, status="on_hold")
    assert (
        client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(ben)).status_code
        == 204
    )
    publish()
    assert changes(event_reader.read(list_id, 2)) == [
        (41, None, {"status": "on_hold", "rating": None}),
        (41, {"status": "on_hold", "rating": None}, None),
    ]
