"""Counting people: per-person reference counts, and the media counters that follow them.

Per (person, media, status) `person_status.n` counts that person's entries; the media's
counter for the status is the number of people whose n is above zero, so it moves only
when some n goes 0 -> 1 or 1 -> 0. Per (person, media) `person_rating` keeps how many
of their entries carry a rating (`rated`) and the latest rating they set; the media's
`rating_count`/`rating_sum` are over people with `rated` above zero.

A batch locks its media rows and the rows of its events' people on those media, replays
each media's events in order against the locked values (refusing an event that would
take any count below zero: it contradicts what was applied before), and then writes the
net change of the whole batch as SQL increments, one statement per table and kind.

Every key names a title as (media_id, media_type). The media row also keeps the rating
distribution (people per latest rating, `rating_1` to `rating_10`): a person's first
rating adds one count, a changed rating moves one, the last rated entry going takes it
away. The same replay gives trending its adds and starts (`trending.Tally`) and the
per-person statistics theirs (`personal.People`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger, DateTime, String

from servicekit.messages import Event

from .bulk import (
    IN_PEOPLE,
    IN_TITLES,
    PEOPLE_ARRAYS,
    PERSON_RATING,
    PERSON_STATUS,
    TITLE_ARRAYS,
    Columns,
    PersonKey,
    Title,
    bulk_insert,
    bulk_update,
    people_params,
    title_params,
)
from .models import COUNTER_COLUMNS, STATUS_COLUMNS
from .personal import People
from .trending import Tally

if TYPE_CHECKING:
    from .events import Change

# Consumers hold it shared per batch; reconciliation takes it exclusively to write.
STATS_LOCK_ID = 0x5747A75
RATING_COUNT, RATING_SUM = len(STATUS_COLUMNS), len(STATUS_COLUMNS) + 1
DISTRIBUTION = RATING_SUM + 1  # the index of rating_1; rating r is at DISTRIBUTION + r - 1
_ZERO = (0,) * len(COUNTER_COLUMNS)

_COLUMNS_SQL = ", ".join(COUNTER_COLUMNS)
_LOCK_MEDIA = text(
    f"SELECT media_id, media_type, {_COLUMNS_SQL} FROM media_stats "
    f"WHERE {IN_TITLES} ORDER BY media_id, media_type FOR UPDATE"
).bindparams(*TITLE_ARRAYS)
_LOCK_STATUS = text(
    f"SELECT person, media_id, media_type, status, n FROM person_status WHERE {IN_PEOPLE} "
    "ORDER BY media_id, media_type, person, status FOR UPDATE"
).bindparams(*PEOPLE_ARRAYS)
_LOCK_RATING = text(
    f"SELECT person, media_id, media_type, rated, rating FROM person_rating WHERE {IN_PEOPLE} "
    "ORDER BY media_id, media_type, person FOR UPDATE"
).bindparams(*PEOPLE_ARRAYS)
_MEDIA: Columns = {
    "media_id": BigInteger,
    "media_type": String,
    **dict.fromkeys(COUNTER_COLUMNS, BigInteger),
}
_INCREMENT_MEDIA = bulk_update(
    "media_stats",
    _MEDIA,
    key=("media_id", "media_type"),
    sets=", ".join(f"{c} = p.{c} + v.{c}" for c in COUNTER_COLUMNS),
)
# New rows start from their (positive) totals: PostgreSQL checks CHECK constraints on the
# proposed row before ON CONFLICT, so negative deltas could never take this path.
_CREATE_MEDIA = bulk_insert("media_stats", _MEDIA)
_INCREMENT_STATUS = bulk_update(
    "person_status",
    PERSON_STATUS,
    key=("person", "media_id", "media_type", "status"),
    sets="n = p.n + v.n",
)
_CREATE_STATUS = bulk_insert("person_status", PERSON_STATUS)
_INCREMENT_RATING = bulk_update(
    "person_rating",
    PERSON_RATING,
    key=("person", "media_id", "media_type"),
    sets="rated = p.rated + v.rated, rating = coalesce(v.rating, p.rating)",
)
_CREATE_RATING = bulk_insert("person_rating", PERSON_RATING)
# Rows at zero are dropped, so a row always means "this person counts".
_DROP_EMPTY = (
    text(f"DELETE FROM person_status WHERE {IN_PEOPLE} AND n = 0").bindparams(*PEOPLE_ARRAYS),
    text(f"DELETE FROM person_rating WHERE {IN_PEOPLE} AND rated = 0").bindparams(*PEOPLE_ARRAYS),
)
_PROGRESS = text(
    "INSERT INTO consumer_progress (topic, partition, last_event_at, updated_at) "
    "SELECT :topic, p, t, now() FROM unnest(:partitions, :times) AS v(p, t) "
    "ON CONFLICT (topic, partition) DO UPDATE SET "
    "last_event_at = GREATEST(consumer_progress.last_event_at, excluded.last_event_at)"
).bindparams(
    bindparam("partitions", type_=ARRAY(BigInteger)),
    bindparam("times", type_=ARRAY(DateTime(timezone=True))),
)

StatusKey = tuple[str, int, str, str]  # person, media_id, media_type, status
RatingKey = tuple[str, int, str]  # person, media_id, media_type


class _State:
    """The locked values of a batch's titles and of its people on them, replayed event by
    event (the other people on those titles are neither read nor locked)."""

    def __init__(self, session: Session, titles: list[Title], keys: list[PersonKey]):
        ids, people = title_params(titles), people_params(keys)
        self.keys = keys
        self.media = {(r[0], r[1]): list(r[2:]) for r in session.execute(_LOCK_MEDIA, ids)}
        self.counts = {tuple(r[:4]): r[4] for r in session.execute(_LOCK_STATUS, people)}
        self.ratings = {tuple(r[:3]): [r[3], r[4]] for r in session.execute(_LOCK_RATING, people)}
        self.start = (
            {m: tuple(v) for m, v in self.media.items()},
            dict(self.counts),
            {k: tuple(v) for k, v in self.ratings.items()},
        )
        self.latest: dict[RatingKey, int] = {}
        self.trend = Tally()

    def apply(self, change: Change) -> bool:
        """Replay one change; False (and nothing changed) when a count would go below zero.

        The removal side is checked before the addition side is applied: an event that
        takes away what was never there is refused even when it puts it back at once.
        """
        m, t = change.title
        media = list(self.media.get((m, t), _ZERO))
        counts: dict[StatusKey, int] = {}
        ratings: dict[RatingKey, list] = {}
        if change.before is not None:
            b = change.before
            key = (b.person, m, t, b.status)
            counts[key] = self.counts.get(key, 0) - 1
            media[STATUS_COLUMNS.index(b.status)] -= counts[key] == 0
            if b.rating is not None:
                r = ratings[(b.person, m, t)] = list(self.ratings.get((b.person, m, t), [0, None]))
                r[0] -= 1
                if r[0] == 0:
                    _unrate(media, r[1])
            if counts[key] < 0 or any(r[0] < 0 for r in ratings.values()) or min(media) < 0:
                return False
        latest: dict[RatingKey, int] = {}
        if change.after is not None:
            a = change.after
            key = (a.person, m, t, a.status)
            counts[key] = counts.get(key, self.counts.get(key, 0)) + 1
            media[STATUS_COLUMNS.index(a.status)] += counts[key] == 1
            if a.rating is not None:
                rk = (a.person, m, t)
                r = ratings.get(rk) or list(self.ratings.get(rk, [0, None]))
                if r[0] > 0:  # the latest rating replaces the person's earlier one
                    _unrate(media, r[1])
                _rate(media, a.rating)
                r[0], r[1] = r[0] + 1, a.rating
                ratings[rk] = r
                latest[rk] = a.rating
            self._trend(change, counts[key] == 1)
        self.media[(m, t)] = media
        self.counts.update(counts)
        self.ratings.update(ratings)
        self.latest.update(latest)
        return True

    def _trend(self, change: Change, person_new_in_status: bool) -> None:
        """Count an add or a start: the person came into `added` by a new entry, or `watching`.

        A hand-over (another person on each side) and a change within one status are not
        adds or starts: nobody newly chose the title.
        """
        b, a = change.before, change.after
        assert a is not None
        moved_in = b is None or (b.person == a.person and b.status != a.status)
        if not (moved_in and person_new_in_status):
            return
        self.trend.count(
            change.occurred_at,
            change.title,
            adds=int(b is None and a.status == "added"),
            starts=int(a.status == "watching"),
        )


def _rate(media: list[int], rating: int) -> None:
    media[RATING_COUNT] += 1
    media[RATING_SUM] += rating
    media[DISTRIBUTION + rating - 1] += 1


def _unrate(media: list[int], rating: int) -> None:
    media[RATING_COUNT] -= 1
    media[RATING_SUM] -= rating
    media[DISTRIBUTION + rating - 1] -= 1


def _write_media(session: Session, state: _State) -> None:
    start_media = state.start[0]
    net = {
        m: tuple(v - s for v, s in zip(values, start_media.get(m, _ZERO), strict=True))
        for m, values in state.media.items()
    }
    net = {m: d for m, d in net.items() if any(d)}
    for statement, wanted in ((_INCREMENT_MEDIA, True), (_CREATE_MEDIA, False)):
        titles = sorted(m for m in net if (m in start_media) == wanted)
        if titles:
            columns = {c: [net[m][i] for m in titles] for i, c in enumerate(COUNTER_COLUMNS)}
            session.execute(
                statement,
                {
                    "media_id": [m[0] for m in titles],
                    "media_type": [m[1] for m in titles],
                    **columns,
                },
            )


def _write_people(session: Session, state: _State) -> None:
    _, start_counts, start_ratings = state.start
    for statement, wanted in ((_INCREMENT_STATUS, True), (_CREATE_STATUS, False)):
        keys = sorted(
            k
            for k, n in state.counts.items()
            if n != start_counts.get(k, 0) and (k in start_counts) == wanted
        )
        if keys:
            session.execute(
                statement,
                {
                    "person": [k[0] for k in keys],
                    "media_id": [k[1] for k in keys],
                    "media_type": [k[2] for k in keys],
                    "status": [k[3] for k in keys],
                    "n": [state.counts[k] - start_counts.get(k, 0) for k in keys],
                },
            )
    for statement, wanted in ((_INCREMENT_RATING, True), (_CREATE_RATING, False)):
        rating_keys = sorted(
            k
            for k, r in state.ratings.items()
            if (tuple(r) != start_ratings.get(k) and (k in start_ratings) == wanted)
            and (wanted or r[0] > 0)
        )
        if rating_keys:
            base = {k: start_ratings.get(k, (0, None))[0] for k in rating_keys}
            session.execute(
                statement,
                {
                    "person": [k[0] for k in rating_keys],
                    "media_id": [k[1] for k in rating_keys],
                    "media_type": [k[2] for k in rating_keys],
                    "rated": [state.ratings[k][0] - base[k] for k in rating_keys],
                    "rating": [state.latest.get(k) for k in rating_keys],
                },
            )


def _write(session: Session, state: _State) -> None:
    _write_media(session, state)
    _write_people(session, state)
    state.trend.write(session)
    people = people_params(state.keys)
    for statement in _DROP_EMPTY:
        session.execute(statement, people)


def apply(session: Session, changes: list[tuple[Event, Change]]) -> list[tuple[Event, str]]:
    """Apply valid changes in the caller's transaction; return those that contradict the counts."""
    session.execute(select(func.pg_advisory_xact_lock_shared(STATS_LOCK_ID)))
    if not changes:
        return []
    by_title: dict[Title, list[tuple[Event, Change]]] = defaultdict(list)
    for event, change in changes:
        by_title[change.title].append((event, change))
    keys = sorted(
        {
            (*change.title, side.person)
            for _, change in changes
            for side in (change.before, change.after)
            if side is not None
        }
    )
    state = _State(session, sorted(by_title), keys)
    people = People(session, keys)
    refused: list[tuple[Event, str]] = []
    last_seen: dict[int, datetime] = {}
    for title in sorted(by_title):
        for event, change in by_title[title]:
            if not state.apply(change):
                refused.append((event, "would take a counter below zero"))
                continue
            people.apply(change)
            seen = last_seen.get(event.partition)
            if seen is None or change.occurred_at > seen:
                last_seen[event.partition] = change.occurred_at
    _write(session, state)
    people.write(session)
    if last_seen:
        partitions = sorted(last_seen)
        session.execute(
            _PROGRESS,
            {
                "topic": changes[0][0].topic,
                "partitions": partitions,
                "times": [last_seen[p] for p in partitions],
            },
        )
    return refused
