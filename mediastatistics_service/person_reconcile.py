"""Reconciliation's side of the per-person statistics: a rewritten title's owners follow it.

`resync_owner` runs inside reconciliation's rewrite of a title (people.write_state),
under the exclusive statistics lock, so no consumer batch moves the same rows meanwhile.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from .bulk import Title
from .models import STATUS_COLUMNS
from .personal import PUT_RATING, PUT_STATUS, Totals, add_totals, as_arrays, rate

if TYPE_CHECKING:
    from .people import State

_OWNER_ROWS = (
    text(
        "SELECT person, status, n FROM audience_status WHERE media_id = :m "
        "AND media_type = :t AND audience = 'owner' FOR UPDATE"
    ),
    text(
        "SELECT person, rated, rating FROM audience_rating WHERE media_id = :m "
        "AND media_type = :t AND audience = 'owner' FOR UPDATE"
    ),
)
_OWNER_OF_TITLE = "media_id = :m AND media_type = :t AND audience = 'owner'"
_CLEAR_OWNER = (
    text(f"DELETE FROM audience_status WHERE {_OWNER_OF_TITLE}"),
    text(f"DELETE FROM audience_rating WHERE {_OWNER_OF_TITLE}"),
)


def _owner_view(statuses: dict[str, set[str]], ratings: dict[str, int]) -> dict[str, Counter]:
    """What each person's rows of one title add to their owner totals (type left to caller)."""
    out: dict[str, Counter] = defaultdict(Counter)
    for person, held in statuses.items():
        for status in held:
            out[person][status] += 1
        out[person]["held"] += bool(held)
    for person, rating in ratings.items():
        rate(out[person], rating, 1)
    return out


def resync_owner(conn: Connection, title: Title, state: State) -> None:
    """Reconciliation rewrote a title: make the owners' rows and totals follow it exactly.

    The owner audience is the title's person rows themselves, so its totals move by what
    each person's contribution was before and is now. The other audiences need the lists'
    visibility, which the sources do not give yet: they stay as the events kept them.
    """
    params = {"m": title[0], "t": title[1]}
    old_status: dict[str, set[str]] = defaultdict(set)
    for person, status, n in conn.execute(_OWNER_ROWS[0], params):
        if n > 0:
            old_status[person].add(status)
    old_rating = {p: r for p, rated, r in conn.execute(_OWNER_ROWS[1], params) if rated > 0}
    people = {p: h for p, h in state.people.items() if not p.startswith("list:")}
    new_status = {
        p: {s for s, n in zip(STATUS_COLUMNS, h.statuses, strict=True) if n > 0}
        for p, h in people.items()
    }
    new_rating = {p: h.rating for p, h in people.items() if h.rated and h.rating is not None}
    before, after = _owner_view(old_status, old_rating), _owner_view(new_status, new_rating)
    totals: Totals = defaultdict(Counter)
    for person in set(before) | set(after):
        delta = Counter(after.get(person, Counter()))
        delta.subtract(before.get(person, Counter()))
        delta[title[1]] = delta.pop("held", 0)
        totals[(person, "owner")] = delta
    for statement in _CLEAR_OWNER:
        conn.execute(statement, params)
    _insert_owner(conn, title, people)
    add_totals(conn, totals)


def _insert_owner(conn: Connection, title: Title, people: dict[str, Any]) -> None:
    status_rows = [
        {"m": title[0], "t": title[1], "p": p, "a": "owner", "s": s, "n": n}
        for p, h in sorted(people.items())
        for s, n in zip(STATUS_COLUMNS, h.statuses, strict=True)
        if n > 0
    ]
    rating_rows = [
        {"m": title[0], "t": title[1], "p": p, "a": "owner", "rated": h.rated, "rating": h.rating}
        for p, h in sorted(people.items())
        if h.rated and h.rating is not None
    ]
    if status_rows:
        conn.execute(PUT_STATUS, as_arrays(status_rows))
    if rating_rows:
        conn.execute(PUT_RATING, as_arrays(rating_rows))
