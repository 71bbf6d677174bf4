"""Per-person statistics: kept by the consumer, counted by title, exact under replays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import assert_problem, identity
from tests.mediastatistics_service.support import change_event, drain, produce


def side(person, status, rating=None, **extra):
    """One side of an event, counting for `person` (extra: timesWatched, visibility)."""
    return {"status": status, "rating": rating, "userId": person, **extra}


def month_ago(months: int) -> datetime:
    """A moment in the middle of the month `months` before this one (UTC)."""
    first = datetime.now(UTC).replace(day=15, hour=12, minute=0, second=0, microsecond=0)
    for _ in range(months):
        first = (first.replace(day=1) - timedelta(days=1)).replace(day=15)
    return first


class Person:
    """One person's entries across lists, and the events a list service writes for them."""

    def __init__(self):
        self.id = str(uuid.uuid4())
        self.events: list[dict] = []
        self.entries: dict[tuple[str, int], dict] = {}  # (list, media) -> side

    def _emit(self, list_id, media_id, before, after, occurred_at=None, **extra):
        body = change_event(media_id, before, after, actorId=self.id, **extra)
        body["listId"] = list_id
        if occurred_at is not None:
            body["occurredAt"] = occurred_at.isoformat()
        self.events.append(body)

    def add(self, media_id, status="added", rating=None, *, list_id=None, when=None, **extra):
        """A new entry (in a new list unless given); returns its key."""
        key = (list_id or str(uuid.uuid4()), media_id)
        media_type = extra.pop("mediaType", None)
        self.entries[key] = side(self.id, status, rating, **extra)
        self._emit(*key, None, dict(self.entries[key]), when, mediaType=media_type)
        return key

    def update(self, key, when=None, **changes):
        """Change an entry's status, rating or timesWatched."""
        before = dict(self.entries[key])
        self.entries[key].update(changes)
        self._emit(*key, before, dict(self.entries[key]), when)

    def remove(self, key):
        """Delete an entry."""
        self._emit(*key, self.entries.pop(key), None)


def apply(consumer, prefix, kafka_bootstrap, events):
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))


def stats(client, person, reader="owner", **query):
    """`GET /users/{id}/stats` as the person themself, anonymously, or as `reader`'s id."""
    headers = {} if reader is None else identity(person.id if reader == "owner" else reader)
    response = client.get(f"/users/{person.id}/stats", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_totals_count_titles_by_status_and_type_once_however_many_lists(
    client, consumer, prefix, kafka_bootstrap
):
    ann = Person()
    ann.add(11, "watching")
    ann.add(11, "watching")  # the same title in a second list
    ann.add(11, "watched")  # and a third, in another status
    ann.add(12, "on_hold", mediaType="tv")
    ann.add(11, "dropped", mediaType="tv")  # the series 11 is another title
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    body = stats(client, ann)
    assert body["statuses"] == {"added": 0, "watching": 1, "watched": 1, "onHold": 1, "dropped": 1}
    assert body["total"] == 4
    assert body["byType"] == {"movie": 1, "tv": 2}
    assert (body["visibleTo"], body["degraded"], body["userId"]) == ("owner", False, ann.id)


def test_rating_histogram_and_mean_follow_changes_and_removals(
    client, consumer, prefix, kafka_bootstrap
):
    ann = Person()
    a = ann.add(21, "watched", 8)
    b = ann.add(22, "watched", 4)
    c = ann.add(22, "watching", 6)  # the latest rating of title 22 is 6 now
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    body = stats(client, ann)
    assert (body["ratingCount"], body["ratingAverage"]) == (2, 7.0)
    assert {k: v for k, v in body["ratingDistribution"].items() if v} == {"6": 1, "8": 1}
    done = len(ann.events)
    ann.update(a, rating=10)
    ann.remove(c)  # title 22 keeps the latest rating (6) while entry b is rated
    ann.remove(b)  # ... and leaves the histogram with its last rated entry
    apply(consumer, prefix, kafka_bootstrap, ann.events[done:])
    body = stats(client, ann)
    assert (body["ratingCount"], body["ratingAverage"]) == (1, 10.0)
    assert {k: v for k, v in body["ratingDistribution"].items() if v} == {"10": 1}
    assert sum(body["ratingDistribution"].values()) == body["ratingCount"]


def test_watches_add_up_times_watched_and_survive_removal(
    client, consumer, prefix, kafka_bootstrap
):
    ann = Person()
    old = ann.add(31, "watching")  # no timesWatched: an event of before the field
    key = ann.add(32, "watched", timesWatched=1)
    ann.update(key, timesWatched=3)
    ann.update(old, status="watched", timesWatched=1)
    ann.update(key, timesWatched=2)  # a watch deleted from the history
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    assert stats(client, ann)["watches"] == 3
    done = len(ann.events)
    ann.remove(key)
    apply(consumer, prefix, kafka_bootstrap, ann.events[done:])
    body = stats(client, ann)
    assert (body["watches"], body["total"]) == (3, 1)


def test_titles_finished_are_counted_in_the_month_of_the_event(
    client, consumer, prefix, kafka_bootstrap
):
    ann = Person()
    ann.add(41, "watched", when=month_ago(1))
    key = ann.add(42, "watching", when=month_ago(1))
    ann.update(key, status="watched", when=month_ago(0))
    ann.add(42, "watched", when=month_ago(0))  # already watched in another list: not again
    ann.add(43, "watched", when=month_ago(13))  # outside the last 12 months
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    body = stats(client, ann, months=2)
    assert [m["count"] for m in body["finishedPerMonth"]] == [1, 1]
    assert body["finishedPerMonth"][1]["month"] == month_ago(0).strftime("%Y-%m")
    default = stats(client, ann)["finishedPerMonth"]
    assert len(default) == 12 and sum(m["count"] for m in default) == 2
    assert sum(m["count"] for m in stats(client, ann, months=14)["finishedPerMonth"]) == 3


def test_a_replayed_event_changes_nothing(client, consumer, prefix, kafka_bootstrap):
    ann = Person()
    key = ann.add(51, "watched", 7, timesWatched=2)
    ann.update(key, timesWatched=3)
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    before = stats(client, ann)
    apply(consumer, prefix, kafka_bootstrap, ann.events)  # the same event ids again
    assert stats(client, ann) == before
    assert (before["watches"], before["statuses"]["watched"], before["ratingCount"]) == (3, 1, 1)
    assert before["finishedPerMonth"][-1]["count"] == 1


def test_each_audience_sees_the_lists_it_may(client, consumer, prefix, kafka_bootstrap):
    ann = Person()
    ann.add(61, "watching", 9)  # private (no visibility: every list today)
    ann.add(61, "watching", visibility="public")
    ann.add(62, "watched", 8, visibility="friends")
    ann.add(63, "added", 6, visibility="public")
    ann.add(64, "dropped", visibility="unlisted")
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    owner = stats(client, ann)
    assert (owner["total"], owner["ratingCount"], owner["ratingAverage"]) == (4, 3, 7.67)
    anonymous = stats(client, ann, reader=None)
    assert anonymous["visibleTo"] == "public"
    assert anonymous["statuses"] == {
        "added": 1,
        "watching": 1,
        "watched": 0,
        "onHold": 0,
        "dropped": 0,
    }
    assert (anonymous["ratingCount"], anonymous["ratingAverage"]) == (1, 6.0)


def test_a_stranger_while_the_friends_service_is_unknown_reads_public_marked_degraded(
    client, consumer, prefix, kafka_bootstrap
):
    ann = Person()
    ann.add(71, "watching")
    apply(consumer, prefix, kafka_bootstrap, ann.events)
    body = stats(client, ann, reader=str(uuid.uuid4()))  # no friends service configured
    assert (body["visibleTo"], body["degraded"], body["total"]) == ("public", True, 0)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/users/not-a-uuid/stats", 404),
        ("/users/12345/stats", 404),
        (f"/users/{uuid.uuid4()}/stats?months=0", 422),
        (f"/users/{uuid.uuid4()}/stats?months=121", 422),
        (f"/users/{uuid.uuid4()}/stats?months=twelve", 422),
    ],
)
def test_bad_user_ids_and_parameters_are_refused(client, path, status):
    assert_problem(client.get(path), status)


def test_a_person_nobody_tracks_reads_as_zeros(client):
    body = client.get(f"/users/{uuid.uuid4()}/stats").get_json()
    assert (body["total"], body["watches"], body["ratingAverage"]) == (0, 0, None)
    assert len(body["finishedPerMonth"]) == 12
