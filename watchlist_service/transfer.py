"""Import rules: file rows into the caller's personal lists, one transaction per list.

A list is found by name among the caller's lists (created when none has it). An entry
already there with the same values is "skipped: unchanged"; one with other values is
updated; the rest are created. A watch is added only when the entry has none at that
moment, so importing a file twice changes nothing the second time (no write, no event,
no new ETag). Each list's changes and their `media-entry-changed` events commit
together, queued with the same helper the service functions use, so the statistics
follow. As in `services.add_entry`, a title becoming `watched` without a watch in the
file records one now.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Table, func, insert, select, update

from servicekit.contract import entry_state, media_entry_changed

from .formats import ImportRow
from .models import Entry, WatchList, db, outbox, watches

Key = tuple[str, int]
_FIELDS = ("status", "rating", "progress", "notes", "season", "episode")
_DEFAULTS: dict[str, Any] = dict.fromkeys(_FIELDS) | {"status": "added"}


@dataclass
class Report:
    """What an import did, per row and in total."""

    format: str
    order: dict[int, int] = field(default_factory=dict)  # id(row) -> its place in the file
    lists: list[dict[str, Any]] = field(default_factory=list)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def add(self, item: ImportRow, result: str, reason: str | None = None) -> None:
        """Record one row's result."""
        row: dict[str, Any] = {"row": item.row, "list": item.list_name, "result": result}
        if not item.skip and not item.list_only:
            row |= {"mediaType": item.media_type, "mediaId": item.media_id}
        if reason:
            row["reason"] = reason
        self.rows.append((self.order[id(item)], row))

    def totals(self) -> dict[str, Any]:
        """The report as the API answers it."""
        rows = [row for _, row in sorted(self.rows, key=lambda pair: pair[0])]
        counts = {name: sum(r["result"] == name for r in rows) for name in _RESULTS}
        return {"format": self.format, **counts, "lists": self.lists, "rows": rows}


_RESULTS = ("created", "updated", "skipped")


@dataclass
class _Plan:
    """One title's merged rows: the values to set and the watches to add."""

    rows: list[ImportRow]
    values: dict[str, Any]
    watches: set[datetime]


def _merge(rows: Iterable[ImportRow]) -> dict[Key, _Plan]:
    plans: dict[Key, _Plan] = {}
    for item in rows:
        plan = plans.setdefault((item.media_type, item.media_id), _Plan([], {}, set()))
        plan.rows.append(item)
        plan.values.update(item.values)
        plan.watches.update(item.watches)
    return plans


def import_rows(*, owner_id: uuid.UUID, format_name: str, rows: list[ImportRow]) -> Report:
    """File checked rows into the caller's lists; each list is its own transaction."""
    report = Report(format_name, {id(item): i for i, item in enumerate(rows)})
    by_list: dict[str, list[ImportRow]] = {}
    for item in rows:
        if item.skip:
            report.add(item, "skipped", item.skip)
        else:
            by_list.setdefault(item.list_name, []).append(item)
    for name, of_list in by_list.items():
        _import_list(owner_id, name, of_list, report)
    return report


def _find_or_create(owner_id: uuid.UUID, name: str) -> tuple[uuid.UUID, bool]:
    """The caller's list of this name, locked (the oldest if several), or a new one."""
    found = db.session.scalar(
        select(WatchList.id)
        .where(WatchList.owner_id == owner_id, WatchList.name == name)
        .order_by(WatchList.created_at, WatchList.id)
        .limit(1)
        .with_for_update()
    )
    if found is not None:
        return found, False
    made = db.session.execute(
        insert(WatchList).values(owner_id=owner_id, name=name).returning(WatchList.id)
    ).scalar_one()
    return made, True


def _existing(list_id: uuid.UUID) -> tuple[dict[Key, Any], dict[Key, set[datetime]]]:
    entries = {
        (e.media_type, e.media_id): e
        for e in db.session.execute(select(Entry.__table__).where(Entry.list_id == list_id))
    }
    seen: dict[Key, set[datetime]] = {}
    c = watches.c
    for w in db.session.execute(
        select(c.media_type, c.media_id, c.watched_at).where(c.list_id == list_id)
    ):
        seen.setdefault((w.media_type, w.media_id), set()).add(w.watched_at)
    return entries, seen


def _import_list(owner_id: uuid.UUID, name: str, rows: list[ImportRow], report: Report) -> None:
    list_id, created = _find_or_create(owner_id, name)
    entries, seen = _existing(list_id)
    now = db.session.execute(select(func.clock_timestamp())).scalar_one()
    writer = _ListWriter(owner_id, list_id, now)
    for key, plan in _merge(r for r in rows if not r.list_only).items():
        result = writer.apply(key, plan, entries.get(key), seen.get(key, set()))
        for item in plan.rows:
            report.add(item, *result)
    for item in rows:
        if item.list_only:
            report.add(item, "created" if created else "skipped", None if created else "unchanged")
    writer.flush(bump=created)
    db.session.commit()
    report.lists.append({"listId": str(list_id), "name": name, "created": created})


class _ListWriter:
    """Collects one list's inserts, updates and events, then writes them in bulk."""

    def __init__(self, owner_id: uuid.UUID, list_id: uuid.UUID, now: datetime):
        self.owner_id, self.list_id, self.now = owner_id, list_id, now
        self.new_entries: list[dict[str, Any]] = []
        self.changed: list[tuple[Key, dict[str, Any]]] = []
        self.new_watches: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def apply(self, key: Key, plan: _Plan, current: Any, seen: set[datetime]) -> tuple[str, ...]:
        """Plan one title's write; the (result, reason) of its rows."""
        if current is None:
            return self._create(key, plan)
        values = {k: v for k, v in plan.values.items() if getattr(current, k) != v}
        added = sorted(plan.watches - seen)
        becomes_watched = values.get("status") == "watched"
        if becomes_watched and not added and not plan.watches:
            added = [self.now]
        if not values and not added:
            return ("skipped", "unchanged")
        times = current.times_watched + len(added)
        last = max(
            [current.last_watched_at, *added], key=lambda t: t or datetime.min.replace(tzinfo=UTC)
        )
        self.changed.append((key, values | {"times_watched": times, "last_watched_at": last}))
        self._watches(key, added)
        after = {**{k: getattr(current, k) for k in _FIELDS}, **values}
        self._event(
            key,
            _state(current.status, current.rating, current.times_watched),
            _state(after["status"], after["rating"], times),
        )
        return ("updated",)

    def _create(self, key: Key, plan: _Plan) -> tuple[str, ...]:
        values = _DEFAULTS | plan.values
        added = sorted(plan.watches)
        if values["status"] == "watched" and not added:
            added = [self.now]
        self.new_entries.append(
            {
                "list_id": self.list_id,
                "media_type": key[0],
                "media_id": key[1],
                **values,
                "times_watched": len(added),
                "last_watched_at": max(added, default=None),
            }
        )
        self._watches(key, added)
        self._event(key, None, _state(values["status"], values["rating"], len(added)))
        return ("created",)

    def _watches(self, key: Key, times: list[datetime]) -> None:
        self.new_watches += [
            {
                "id": uuid.uuid4(),
                "list_id": self.list_id,
                "media_type": key[0],
                "media_id": key[1],
                "watched_at": t,
            }
            for t in times
        ]

    def _event(self, key: Key, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        if before == after:
            return
        self.events.append(
            media_entry_changed(
                source="watchlist",
                list_id=self.list_id,
                media_id=key[1],
                media_type=key[0],
                actor_id=self.owner_id,
                before=before,
                after=after,
                before_user_id=self.owner_id,
            )
        )

    def flush(self, *, bump: bool) -> None:
        """Write everything planned; the list's version moves only when something changed."""
        if not (bump or self.new_entries or self.changed):
            return
        version = db.session.scalar(
            update(WatchList)
            .where(WatchList.id == self.list_id)
            .values(updated_at=func.clock_timestamp(), version=WatchList.version + 1)
            .returning(WatchList.version)
        )
        _insert_all(Entry.__table__, [e | {"version": version} for e in self.new_entries])
        for (media_type, media_id), values in self.changed:
            db.session.execute(
                update(Entry)
                .where(
                    Entry.list_id == self.list_id,
                    Entry.media_type == media_type,
                    Entry.media_id == media_id,
                )
                .values(updated_at=func.clock_timestamp(), version=version, **values)
                .execution_options(synchronize_session=False)
            )
        _insert_all(watches, self.new_watches)
        # the rows servicekit.events.add_events would queue, written in multi-row statements
        _insert_all(outbox, self.events)


def _insert_all(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows with COPY, in this session's transaction.

    An executemany was a round trip per row, and multi-row INSERTs spent their time
    rendering parameters (5 to 20 s for 10,000 entries and their events); COPY streams.
    """
    if not rows:
        return
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copyable(row[c]) for c in columns])


def _copyable(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


def _state(status: str, rating: int | None, times_watched: int) -> dict[str, Any]:
    return entry_state(status, rating, times_watched)
