"""Typed titles and the rating distribution, from real events through the real consumer."""

from __future__ import annotations

import uuid

import pytest

from mediastatistics_service.events import parse_change
from mediastatistics_service.worker import build_consumer
from servicekit.contract import media_entry_changed
from servicekit.messages import PoisonEvent
from tests.mediastatistics_service.support import change_event, drain, entry, produce


def side(status: str, rating: int | None, person: str) -> dict:
    """One side of an event, counting for `person`."""
    return {**entry(status, rating), "userId": person}


def stats(client, path: str) -> dict:
    body = client.get(f"/mediastatistics/{path}").get_json()
    body.pop("updatedAt")
    return body


def distribution(**counts: int) -> dict[str, int]:
    """A ratingDistribution with these counts (`r7=2`) and zeros elsewhere."""
    return {str(r): counts.get(f"r{r}", 0) for r in range(1, 11)}


def test_a_series_and_a_film_with_the_same_id_are_counted_apart(
    client, consumer, prefix, kafka_bootstrap
):
    ann, ben = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        change_event(1399, None, side("watching", 9, ann), mediaType="tv"),
        change_event(1399, None, side("watching", 8, ben), mediaType="tv"),
        change_event(1399, None, side("added", None, ann), mediaType="movie"),
    ]
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    tv, movie = stats(client, "tv/1399"), stats(client, "movie/1399")
    assert (tv["mediaType"], tv["watching"], tv["added"], tv["ratingCount"]) == ("tv", 2, 0, 2)
    assert tv["ratingDistribution"] == distribution(r8=1, r9=1)
    assert (movie["mediaType"], movie["watching"], movie["added"]) == ("movie", 0, 1)
    assert movie["ratingDistribution"] == distribution()


def test_an_event_without_media_type_counts_for_the_movie(
    client, consumer, prefix, kafka_bootstrap
):
    person = str(uuid.uuid4())
    untyped = change_event(603, None, side("watched", 7, person))
    assert "mediaType" not in untyped
    produce(kafka_bootstrap, prefix, [untyped])
    drain(consumer, 1)
    assert stats(client, "movie/603")["watched"] == 1
    assert stats(client, "movie/603")["ratingDistribution"] == distribution(r7=1)
    assert stats(client, "tv/603")["watched"] == 0
    assert stats(client, "603") == stats(client, "movie/603")


def test_the_distribution_moves_on_a_rating_change_and_empties_on_removal(
    app, client, consumer, prefix, kafka_bootstrap
):
    ann, ben = str(uuid.uuid4()), str(uuid.uuid4())
    steps = [
        (None, side("watching", 6, ann)),
        (side("watching", 6, ann), side("watching", 9, ann)),  # moves 6 -> 9
        (None, side("watched", 9, ben)),
        (side("watching", 9, ann), side("watched", None, ann)),  # Ann's rating cleared
    ]
    events = [change_event(77, b, a, mediaType="tv") for b, a in steps]
    seen = []
    for event in events:
        produce(kafka_bootstrap, prefix, [event])
        drain(consumer, 1)
        seen.append(stats(client, "tv/77")["ratingDistribution"])
    assert seen == [distribution(r6=1), distribution(r9=1), distribution(r9=2), distribution(r9=1)]
    removal = change_event(77, side("watched", 9, ben), None, mediaType="tv")
    produce(kafka_bootstrap, prefix, [removal])
    drain(consumer, 1)
    body = stats(client, "tv/77")
    assert body["ratingDistribution"] == distribution()
    assert body["ratingCount"] == 0 and body["watched"] == 1


def test_replayed_events_change_neither_the_distribution_nor_trending(
    app, client, consumer, prefix, kafka_bootstrap
):
    people = [str(uuid.uuid4()) for _ in range(3)]
    events = [
        change_event(88, None, side("added", r, p), mediaType="tv")
        for r, p in zip((3, 3, 10), people, strict=True)
    ]
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    before = (stats(client, "tv/88"), client.get("/mediastatistics/trending?period=day").get_json())
    produce(kafka_bootstrap, prefix, events)
    drain(consumer, len(events))
    replay = build_consumer(app, **{"group.id": f"replay-{uuid.uuid4().hex[:6]}"})
    try:
        drain(replay, 2 * len(events))
    finally:
        replay.close()
    after = (stats(client, "tv/88"), client.get("/mediastatistics/trending?period=day").get_json())
    assert after == before
    assert before[0]["ratingDistribution"] == distribution(r3=2, r10=1)
    assert before[1]["items"] == [
        {"mediaType": "tv", "mediaId": 88, "adds": 3, "starts": 0, "score": 3}
    ]


@pytest.mark.parametrize("media_type", ["book", "", "MOVIE", 1, True])
def test_an_event_with_an_unknown_media_type_is_refused(media_type):
    body = change_event(7, None, entry("watched"), mediaType=media_type)
    with pytest.raises(PoisonEvent, match="mediaType"):
        parse_change(body)


def test_a_null_media_type_is_a_movie():
    assert parse_change(change_event(7, None, entry("watched"), mediaType=None)).title == (
        7,
        "movie",
    )


def test_the_builder_leaves_media_type_out_unless_given():
    common = {
        "source": "watchlist",
        "list_id": uuid.uuid4(),
        "media_id": 5,
        "actor_id": uuid.uuid4(),
        "before": None,
        "after": entry("added"),
        "before_user_id": uuid.uuid4(),
    }
    assert "mediaType" not in media_entry_changed(**common)["payload"]
    assert media_entry_changed(**common, media_type="tv")["payload"]["mediaType"] == "tv"
    with pytest.raises(ValueError, match="media_type"):
        media_entry_changed(**common, media_type="book")
