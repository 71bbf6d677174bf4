"""typed titles (media_type in every per-title key), rating distribution, trending buckets

Every existing row is about a movie (events had no `mediaType`), so `media_type`
arrives with the default 'movie' and joins each primary key. The rating distribution
of an existing title is rebuilt exactly from `person_rating` (each rated person's
latest rating), so no reconciliation run is needed. Trending starts empty: it counts
what happens from now on (old events are history the consumer has already passed).
Trending keeps hourly buckets, and per period the running totals of the hours since the
window's start (`trending_windows.since`), so a read is an index scan like `top`.

Revision ID: 9c4d2e7f1a30
Revises: 5b1e2c9d4a10
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9c4d2e7f1a30"
down_revision = "5b1e2c9d4a10"
branch_labels = None
depends_on = None

RATINGS = range(1, 11)
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}  # as mediastatistics_service.trending
RANKED = ("added", "watching", "watched", "on_hold", "dropped", "total")
# table -> primary key columns before and after, and its media index
KEYS = {
    "media_stats": (("media_id",), ("media_id", "media_type"), None),
    "person_status": (
        ("person", "media_id", "status"),
        ("person", "media_id", "media_type", "status"),
        "ix_person_status_media",
    ),
    "person_rating": (
        ("person", "media_id"),
        ("person", "media_id", "media_type"),
        "ix_person_rating_media",
    ),
}


def _media_type_column() -> sa.Column:
    return sa.Column(
        "media_type", sa.String(length=5), server_default=sa.text("'movie'"), nullable=False
    )


def _retype(table: str, key: tuple[str, ...], index: str | None, media: list[str]) -> None:
    op.drop_constraint(f"{table}_pkey", table, type_="primary")
    op.create_primary_key(f"{table}_pkey", table, list(key))
    if index:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, media)


def upgrade() -> None:
    for table, (_, key, index) in KEYS.items():
        op.add_column(table, _media_type_column())
        op.create_check_constraint(
            f"ck_{table}_media_type", table, "media_type IN ('movie', 'tv')"
        )
        _retype(table, key, index, ["media_id", "media_type", "person"])
    for c in RANKED:
        op.drop_index(f"ix_media_stats_{c}_rank", table_name="media_stats")
        op.create_index(
            f"ix_media_stats_{c}_rank",
            "media_stats",
            [sa.literal_column(f"{c} DESC"), "media_id", "media_type"],
        )
    for r in RATINGS:
        op.add_column(
            "media_stats",
            sa.Column(f"rating_{r}", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        )
        op.create_check_constraint(f"ck_media_stats_rating_{r}_nonneg", "media_stats", f"rating_{r} >= 0")
    op.execute(
        "UPDATE media_stats AS s SET "
        + ", ".join(f"rating_{r} = d.r{r}" for r in RATINGS)
        + " FROM (SELECT media_id, media_type, "
        + ", ".join(f"count(*) FILTER (WHERE rating = {r}) AS r{r}" for r in RATINGS)
        + " FROM person_rating WHERE rated > 0 GROUP BY media_id, media_type) AS d"
        " WHERE (s.media_id, s.media_type) = (d.media_id, d.media_type)"
    )
    op.create_table(
        "trending_buckets",
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("media_type", sa.String(length=5), nullable=False),
        sa.Column("media_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("adds", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("starts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("adds >= 0", name="ck_trending_buckets_adds_nonneg"),
        sa.CheckConstraint("starts >= 0", name="ck_trending_buckets_starts_nonneg"),
        sa.CheckConstraint("media_type IN ('movie', 'tv')", name="ck_trending_buckets_media_type"),
        # bucket first: the window query and the pruning are range scans of this key
        sa.PrimaryKeyConstraint("bucket", "media_type", "media_id"),
    )
    op.create_table(
        "trending_windows",
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )
    op.execute(
        "INSERT INTO trending_windows (period, since) VALUES "
        + ", ".join(
            f"('{p}', date_trunc('hour', now() - interval '{d} days'))"
            for p, d in PERIOD_DAYS.items()
        )
    )
    op.create_table(
        "trending_totals",
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("media_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_type", sa.String(length=5), nullable=False),
        sa.Column("adds", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("starts", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("score", sa.BigInteger(), sa.Computed("adds + starts", persisted=True)),
        sa.CheckConstraint("adds >= 0", name="ck_trending_totals_adds_nonneg"),
        sa.CheckConstraint("starts >= 0", name="ck_trending_totals_starts_nonneg"),
        sa.PrimaryKeyConstraint("period", "media_id", "media_type"),
    )
    op.create_index(
        "ix_trending_totals_rank",
        "trending_totals",
        ["period", sa.literal_column("score DESC"), "media_id", "media_type"],
    )


def downgrade() -> None:
    op.drop_index("ix_trending_totals_rank", table_name="trending_totals")
    op.drop_table("trending_totals")
    op.drop_table("trending_windows")
    op.drop_table("trending_buckets")
    for r in RATINGS:
        op.drop_constraint(f"ck_media_stats_rating_{r}_nonneg", "media_stats", type_="check")
        op.drop_column("media_stats", f"rating_{r}")
    for c in RANKED:
        op.drop_index(f"ix_media_stats_{c}_rank", table_name="media_stats")
        op.create_index(
            f"ix_media_stats_{c}_rank", "media_stats", [sa.literal_column(f"{c} DESC"), "media_id"]
        )
    # tv rows have no place in the untyped tables
    for table, (key, _, index) in KEYS.items():
        op.execute(f"DELETE FROM {table} WHERE media_type <> 'movie'")
        op.drop_constraint(f"ck_{table}_media_type", table, type_="check")
        _retype(table, key, index, ["media_id", "person"])
        op.drop_column(table, "media_type")
