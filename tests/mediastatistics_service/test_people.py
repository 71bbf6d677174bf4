"""Statistics count people: once per title and status, with their latest rating."""

from __future__ import annotations

import uuid

from tests.mediastatistics_service.support import Ledger, change_event, drain, entry, produce

ANN, BEN = str(uuid.uuid4()), str(uuid.uuid4())


def counters(client, media_id):
    body = client.get(f"/mediastatistics/{media_id}").get_json()
    body.pop("updatedAt")
    return body


def apply(consumer, prefix, kafka_bootstrap, ledger, start=0):
    produce(kafka_bootstrap, prefix, ledger.events[start:])
    drain(consumer, len(ledger.events) - start)
    return len(ledger.events)


def test_one_account_in_ten_lists_counts_once(client, consumer, prefix, kafka_bootstrap):
    ledger = Ledger()
    keys = [ledger.add(901, "watching", 5 + i % 3, person=ANN) for i in range(10)]
    ledger.add(901, "watching", 9, person=BEN)
    done = apply(consumer, prefix, kafka_bootstrap, ledger)
    stats = counters(client, 901)
    assert (stats["watching"], stats["total"], stats["ratingCount"]) == (2, 2, 2)
    assert stats["ratingAverage"] == (ledger.latest[(ANN, 901)] + 9) / 2
    assert stats == ledger.expected(901)
    for key in keys[:9]:
        ledger.remove(key)
    done = apply(consumer, prefix, kafka_bootstrap, ledger, done)
    assert counters(client, 901)["watching"] == 2  # Ann still holds it once
    ledger.remove(keys[9])
    apply(consumer, prefix, kafka_bootstrap, ledger, done)
    assert counters(client, 901) == ledger.expected(901)
    assert counters(client, 901)["watching"] == 1


def test_a_person_in_two_statuses_counts_once_in_each(client, consumer, prefix, kafka_bootstrap):
    ledger = Ledger()
    a = ledger.add(902, "watching", person=ANN)
    ledger.add(902, "watched", source="friendswatchlist", person=ANN)
    ledger.update(a, status="watched")
    apply(consumer, prefix, kafka_bootstrap, ledger)
    stats = counters(client, 902)
    assert (stats["watching"], stats["watched"], stats["total"]) == (0, 1, 1)


def test_the_latest_rating_replaces_a_persons_earlier_one(
    client, consumer, prefix, kafka_bootstrap
):
    ledger = Ledger()
    a = ledger.add(903, "watched", 8, person=ANN)
    b = ledger.add(903, "watched", 6, source="friendswatchlist", person=ANN)
    done = apply(consumer, prefix, kafka_bootstrap, ledger)
    assert (counters(client, 903)["ratingCount"], counters(client, 903)["ratingAverage"]) == (1, 6)
    ledger.update(a, rating=10)
    ledger.remove(b)
    done = apply(consumer, prefix, kafka_bootstrap, ledger, done)
    assert counters(client, 903)["ratingAverage"] == 10
    ledger.update(a, rating=None)
    apply(consumer, prefix, kafka_bootstrap, ledger, done)
    stats = counters(client, 903)
    assert (stats["ratingCount"], stats["ratingAverage"], stats["watched"]) == (0, None, 1)


def test_a_hand_over_moves_the_count_to_the_new_owner(client, consumer, prefix, kafka_bootstrap):
    ledger = Ledger()
    shared = ledger.add(904, "watching", 7, source="friendswatchlist", person=ANN)
    ledger.add(904, "watching", 3, person=BEN)  # Ben holds it in a list of his own
    done = apply(consumer, prefix, kafka_bootstrap, ledger)
    assert counters(client, 904)["watching"] == 2
    ledger.hand_over(shared[1], BEN)
    apply(consumer, prefix, kafka_bootstrap, ledger, done)
    stats = counters(client, 904)
    assert stats == ledger.expected(904)
    assert (stats["watching"], stats["ratingCount"], stats["ratingAverage"]) == (1, 1, 7)


def test_replaying_every_event_changes_nothing(client, consumer, prefix, kafka_bootstrap):
    ledger = Ledger()
    ledger.random_walk([905, 906], steps=120, seed=3)
    apply(consumer, prefix, kafka_bootstrap, ledger)
    before = [counters(client, m) for m in (905, 906)]
    assert before == [ledger.expected(m) for m in (905, 906)]
    produce(kafka_bootstrap, prefix, ledger.events)
    drain(consumer, len(ledger.events))
    assert [counters(client, m) for m in (905, 906)] == before


def test_events_without_user_id_count_each_list_as_a_person(
    client, consumer, prefix, kafka_bootstrap
):
    lists = [{"listId": str(uuid.uuid4())} for _ in range(2)]
    events = [
        change_event(907, None, entry("watching", 4), **lists[0]),
        change_event(907, None, entry("watching", 6), **lists[1]),
        change_event(907, entry("watching", 4), entry("watched", 4), **lists[0]),
    ]
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    stats = counters(client, 907)
    assert (stats["watching"], stats["watched"], stats["ratingCount"]) == (1, 1, 2)
    assert stats["ratingAverage"] == 5
