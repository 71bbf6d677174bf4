"""Reading one person's statistics, as the reader may see them.

The reader's audience decides which row is read (person_models.AUDIENCES): the person
themself reads `owner`, an accepted friend `friends`, anyone else (also without a
token) `public`. A read is two primary-key lookups: the totals row and at most
`months` rows of titles finished per month.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from servicekit.errors import ServiceUnavailable
from servicekit.friendships import are_friends

from .models import RATINGS, STATUS_COLUMNS, db
from .person_models import TOTAL_COLUMNS, PersonFinished, PersonTotals

DEFAULT_MONTHS, MAX_MONTHS = 12, 120


@dataclass(frozen=True)
class Reader:
    """Which of a person's figures a reader sees, and whether that was decided in doubt."""

    audience: str
    degraded: bool = False


def reader_of(person: uuid.UUID, caller: uuid.UUID | None) -> Reader:
    """The caller's audience; a stranger's, marked degraded, while friendship is unknown."""
    if caller is None:
        return Reader("public")
    if caller == person:
        return Reader("owner")
    try:
        return Reader("friends" if are_friends(caller, person) else "public")
    except ServiceUnavailable:
        return Reader("public", degraded=True)


def _months(today: date, months: int) -> list[date]:
    """The first days of the last `months` months, oldest first, this month last."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def person_stats(*, person: uuid.UUID, reader: Reader, months: int) -> dict:
    """The figures of `person` the reader may see (zeros when they may see none)."""
    row = db.session.get(PersonTotals, (str(person), reader.audience))
    values = {c: getattr(row, c) if row else 0 for c in TOTAL_COLUMNS}
    wanted = _months(datetime.now(UTC).date(), months)
    finished = dict(
        db.session.execute(
            select(PersonFinished.month, PersonFinished.n).where(
                PersonFinished.person == str(person),
                PersonFinished.audience == reader.audience,
                PersonFinished.month >= wanted[0],
            )
        ).all()
    )
    count = values["rating_count"]
    return {
        "user_id": person,
        "visible_to": reader.audience,
        "degraded": reader.degraded,
        "statuses": {s: values[s] for s in STATUS_COLUMNS},
        "total": sum(values[s] for s in STATUS_COLUMNS),
        "by_type": {"movie": values["movie"], "tv": values["tv"]},
        "watches": values["watches"],
        "rating_count": count,
        "rating_average": round(values["rating_sum"] / count, 2) if count else None,
        "rating_distribution": {str(r): values[f"rating_{r}"] for r in RATINGS},
        "finished_per_month": [
            {"month": m.strftime("%Y-%m"), "count": finished.get(m, 0)} for m in wanted
        ],
    }
