"""The list services' internal count reads, which the statistics service pages through.

Both list services answer `GET /internal/media-counts` and `GET /internal/person-counts`
(`?after=<mediaId>&limit=`, pages of up to `limit` media ids) for the `mediastatistics`
caller only. Each item is one title, `mediaType` and `mediaId`, in (mediaId, mediaType)
order: both types of one media id are on the same page, as the statistics side expects.
The queries are the same over each service's own tables, so the service hands its entry
model and the list columns that say whom an entry counts for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute
from webargs.flaskparser import use_args

from .contract import MAX_MEDIA_ID, STATUS_FIELDS, STATUSES
from .identity import service_credential_required

MAX_COUNTS_PAGE = 5000
ROWS_PER_PAGE = 20_000  # entries one page reads, about (see EntryCounts._media_ids)


class CountsArgs(Schema):
    """`?after=&limit=` of both count reads."""

    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_MEDIA_ID))
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_COUNTS_PAGE))


@dataclass(frozen=True)
class EntryCounts:
    """Where one list service keeps its entries and whom each counts for."""

    db: SQLAlchemy
    entry: Any  # the entry model: media_id, media_type, list_id, status, rating, updated_at
    list_id: InstrumentedAttribute[Any]  # the list table's primary key
    owner_id: InstrumentedAttribute[Any]  # the person a list's entries count for

    def _media_ids(self, after: int, limit: int) -> tuple[list[int], int | None]:
        """The next media ids after `after`, at most `limit` and about `ROWS_PER_PAGE`
        entries between them (a title is never split: one may bring more), and the page's
        `nextAfter`.

        The entry budget keeps a page's answer small however popular its titles are: at a
        million entries the first thousand ids held most of them, and one answer took
        the service process past 700 MB.
        """
        entry = self.entry
        held = self.db.session.execute(
            select(entry.media_id, func.count())
            .where(entry.media_id > after)
            .group_by(entry.media_id)
            .order_by(entry.media_id)
            .limit(limit + 1)
        ).all()
        page: list[int] = []
        entries = 0
        for media_id, count in held[:limit]:
            if page and entries + count > ROWS_PER_PAGE:
                break
            page.append(media_id)
            entries += count
        return page, page[-1] if len(page) < len(held) else None

    def media_counts(self, *, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """Entries per title and status with rating count and sum, one GROUP BY per page.

        `nextAfter` is null on the last page.
        """
        entry = self.entry
        page, next_after = self._media_ids(after, limit)
        rows = self.db.session.execute(
            select(
                entry.media_id,
                entry.media_type,
                *(func.count().filter(entry.status == s) for s in STATUSES),
                func.count(entry.rating),
                func.coalesce(func.sum(entry.rating), 0),
            )
            .where(entry.media_id.in_(page))
            .group_by(entry.media_id, entry.media_type)
            .order_by(entry.media_id, entry.media_type)
        ).all()
        names = ("mediaId", "mediaType", *STATUS_FIELDS)
        items = [
            {
                **dict(zip(names, row[:7], strict=True)),
                "ratingCount": row[7],
                "ratingSum": int(row[8]),
            }
            for row in rows
        ]
        return items, next_after

    def person_counts(self, *, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """Per title of the next `limit` media ids, per person: entries per status, ratings.

        An entry counts for its list's current owner. `ratings` holds `[rating,
        updatedAtEpoch]` for each entry carrying one, newest first: the statistics
        service counts people and rebuilds its counts from these.
        """
        entry, session = self.entry, self.db.session
        page, next_after = self._media_ids(after, limit)
        rated = func.json_build_array(entry.rating, func.extract("epoch", entry.updated_at))
        rows = session.execute(
            select(
                entry.media_id,
                entry.media_type,
                self.owner_id,
                *(func.count().filter(entry.status == s) for s in STATUSES),
                func.array_agg(aggregate_order_by(rated, entry.updated_at.desc())).filter(
                    entry.rating.is_not(None)
                ),
            )
            .join_from(entry, self.list_id.class_, self.list_id == entry.list_id)
            .where(entry.media_id.in_(page))
            .group_by(entry.media_id, entry.media_type, self.owner_id)
            .order_by(entry.media_id, entry.media_type, self.owner_id)
        ).all()
        items: dict[tuple[int, str], dict[str, Any]] = {}
        for row in rows:
            title = items.setdefault(
                (row[0], row[1]), {"mediaId": row[0], "mediaType": row[1], "people": []}
            )
            counts = dict(zip(STATUS_FIELDS, row[3:8], strict=True))
            ratings = [[r, float(t)] for r, t in (row[8] or [])]
            title["people"].append({"userId": str(row[2]), **counts, "ratings": ratings})
        return list(items.values()), next_after

    def blueprint(self) -> Blueprint:
        """`/internal/media-counts` and `/internal/person-counts` over these entries."""
        internal = Blueprint("internal", __name__, url_prefix="/internal")

        @internal.get("/media-counts")
        @service_credential_required("mediastatistics")
        @use_args(CountsArgs(), location="query")
        def media_counts(args: dict[str, int]) -> dict[str, Any]:
            """Per-media counters for the statistics service's catch-up, in media id order."""
            items, next_after = self.media_counts(after=args["after"], limit=args["limit"])
            return {"items": items, "nextAfter": next_after}

        @internal.get("/person-counts")
        @service_credential_required("mediastatistics")
        @use_args(CountsArgs(), location="query")
        def person_counts(args: dict[str, int]) -> dict[str, Any]:
            """Per media, per owner: entries per status and ratings (statistics count people)."""
            items, next_after = self.person_counts(after=args["after"], limit=args["limit"])
            return {"items": items, "nextAfter": next_after}

        return internal
