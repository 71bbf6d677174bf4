"""A media's per-person state as reconciliation compares and rewrites it.

`State` is a title's counters with the person rows behind them (titles are keyed
`(media_id, media_type)` as everywhere in this service). `expected_state` derives
it from what the list services hold (docs/statistics.md gives the rules), `stored_state`
reads it from the tables the consumer keeps, and `write_state` replaces the stored one.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, text

from .bulk import (
    IN_TITLES,
    PERSON_RATING,
    PERSON_STATUS,
    TITLE_ARRAYS,
    Title,
    bulk_insert,
    title_params,
)
from .models import COUNTER_COLUMNS, RATINGS, STATUS_COLUMNS
from .person_reconcile import resync_owner

# One person's entries of a media: counts per status, and (rating, updated epoch) per
# rated entry, most recent first.
Held = tuple[tuple[int, ...], tuple[tuple[int, float], ...]]
Media = dict[str, Held]


class Person(NamedTuple):
    """One person's rows: entries per status, entries carrying a rating, their rating."""

    statuses: tuple[int, ...]
    rated: int
    rating: int | None


class State(NamedTuple):
    """A media's counters (COUNTER_COLUMNS order) and the person rows they count."""

    counters: tuple[int, ...]
    people: dict[str, Person]


_COUNTERS = text(
    f"SELECT media_id, media_type, {', '.join(COUNTER_COLUMNS)} FROM media_stats WHERE {IN_TITLES}"
).bindparams(*TITLE_ARRAYS)
_STATUSES = text(
    f"SELECT media_id, media_type, person, status, n FROM person_status WHERE {IN_TITLES}"
).bindparams(*TITLE_ARRAYS)
_RATINGS = text(
    f"SELECT media_id, media_type, person, rated, rating FROM person_rating WHERE {IN_TITLES}"
).bindparams(*TITLE_ARRAYS)
_CLEAR = (
    text("DELETE FROM person_status WHERE media_id = :m AND media_type = :t"),
    text("DELETE FROM person_rating WHERE media_id = :m AND media_type = :t"),
)
_INSERT_STATUSES = bulk_insert("person_status", PERSON_STATUS)
_INSERT_RATINGS = bulk_insert("person_rating", PERSON_RATING)
_REWRITE = text(
    f"INSERT INTO media_stats (media_id, media_type, {', '.join(COUNTER_COLUMNS)}, updated_at) "
    f"VALUES (:m, :t, {', '.join(':' + c for c in COUNTER_COLUMNS)}, clock_timestamp()) "
    "ON CONFLICT (media_id, media_type) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COUNTER_COLUMNS)
    + ", updated_at = excluded.updated_at"
)

EMPTY = State((0,) * len(COUNTER_COLUMNS), {})


def expected_state(source: Media, stored: State | None) -> State:
    """The state the source entries call for (keeping a stored rating still carried)."""
    people: dict[str, Person] = {}
    for person, (statuses, ratings) in source.items():
        if not any(statuses):
            continue
        rating = None
        if ratings:
            kept = stored.people.get(person) if stored else None
            carried = {r for r, _ in ratings}
            rating = kept.rating if kept and kept.rating in carried else ratings[0][0]
        people[person] = Person(tuple(statuses), len(ratings), rating)
    counts = [sum(p.statuses[i] > 0 for p in people.values()) for i in range(len(STATUS_COLUMNS))]
    rated = [p.rating for p in people.values() if p.rated and p.rating is not None]
    distribution = [rated.count(r) for r in RATINGS]
    return State((*counts, len(rated), sum(rated), *distribution), people)


def stored_state(conn: Connection, titles: list[Title]) -> dict[Title, State]:
    """The stored state of each of these titles that has any row."""
    ids = title_params(titles)
    counters = {(r[0], r[1]): tuple(r[2:]) for r in conn.execute(_COUNTERS, ids)}
    statuses: dict[Title, dict[str, list[int]]] = {}
    for m, t, person, status, n in conn.execute(_STATUSES, ids):
        held = statuses.setdefault((m, t), {}).setdefault(person, [0] * len(STATUS_COLUMNS))
        held[STATUS_COLUMNS.index(status)] = n
    ratings: dict[Title, dict[str, tuple[int, int]]] = {}
    for m, t, person, rated, rating in conn.execute(_RATINGS, ids):
        ratings.setdefault((m, t), {})[person] = (rated, rating)
    out: dict[Title, State] = {}
    for m in set(counters) | set(statuses) | set(ratings):
        names = set(statuses.get(m, {})) | set(ratings.get(m, {}))
        people = {}
        for person in names:
            rated, rating = ratings.get(m, {}).get(person, (0, None))
            held = statuses.get(m, {}).get(person, [0] * len(STATUS_COLUMNS))
            people[person] = Person(tuple(held), rated, rating)
        out[m] = State(counters.get(m, EMPTY.counters), people)
    return out


def write_state(conn: Connection, title: Title, state: State) -> None:
    """Replace a title's person rows and counters with `state`, and its owners' totals."""
    resync_owner(conn, title, state)
    media_id, media_type = title
    for statement in _CLEAR:
        conn.execute(statement, {"m": media_id, "t": media_type})
    rows = [
        (person, status, n)
        for person, held in state.people.items()
        for status, n in zip(STATUS_COLUMNS, held.statuses, strict=True)
        if n > 0
    ]
    if rows:
        people, statuses, counts = (list(c) for c in zip(*rows, strict=True))
        conn.execute(
            _INSERT_STATUSES,
            {
                "person": people,
                "media_id": [media_id] * len(rows),
                "media_type": [media_type] * len(rows),
                "status": statuses,
                "n": counts,
            },
        )
    rated = [(p, h.rated, h.rating) for p, h in state.people.items() if h.rated]
    if rated:
        people, counts, values = (list(c) for c in zip(*rated, strict=True))
        conn.execute(
            _INSERT_RATINGS,
            {
                "person": people,
                "media_id": [media_id] * len(rated),
                "media_type": [media_type] * len(rated),
                "rated": counts,
                "rating": values,
            },
        )
    counters = dict(zip(COUNTER_COLUMNS, state.counters, strict=True))
    conn.execute(_REWRITE, {"m": media_id, "t": media_type, **counters})
