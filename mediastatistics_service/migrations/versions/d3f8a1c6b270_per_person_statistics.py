"""per-person statistics: audience reference counts, person totals, finished per month

The owner audience of every person is filled from `person_status`/`person_rating` (the
same people, the same counts), and their totals from those rows, so the statistics of a
person are right from the upgrade on with no reconciliation run. The `friends` and
`public` audiences start empty: every event so far was about a private list. Watches and
titles finished per month are history and start at zero.

Revision ID: d3f8a1c6b270
Revises: 9c4d2e7f1a30
Create Date: 2026-12-01 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d3f8a1c6b270"
down_revision = "9c4d2e7f1a30"
branch_labels = None
depends_on = None

RATINGS = range(1, 11)
STATUSES = ("added", "watching", "watched", "on_hold", "dropped")
TOTALS = (
    *STATUSES,
    "movie",
    "tv",
    "watches",
    "rating_count",
    "rating_sum",
    *(f"rating_{r}" for r in RATINGS),
)


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)


def _title_person() -> list[sa.Column]:
    return [
        sa.Column("media_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_type", sa.String(length=5), server_default="movie", nullable=False),
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("audience", sa.String(length=7), nullable=False),
    ]


def _create_tables() -> None:
    op.create_table(
        "audience_status",
        *_title_person(),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("media_id", "media_type", "person", "audience", "status"),
    )
    op.create_table(
        "audience_rating",
        *_title_person(),
        sa.Column("rated", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("media_id", "media_type", "person", "audience"),
    )
    op.create_table(
        "person_totals",
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("audience", sa.String(length=7), nullable=False),
        *(_counter(c) for c in TOTALS),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("person", "audience"),
    )
    op.create_table(
        "person_finished",
        sa.Column("person", sa.String(length=80), nullable=False),
        sa.Column("audience", sa.String(length=7), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        _counter("n"),
        sa.PrimaryKeyConstraint("person", "audience", "month"),
    )


def _fill_owners() -> None:
    op.execute(
        "INSERT INTO audience_status (media_id, media_type, person, audience, status, n) "
        "SELECT media_id, media_type, person, 'owner', status, n FROM person_status "
        "WHERE n > 0 AND person NOT LIKE 'list:%'"
    )
    op.execute(
        "INSERT INTO audience_rating (media_id, media_type, person, audience, rated, rating) "
        "SELECT media_id, media_type, person, 'owner', rated, rating FROM person_rating "
        "WHERE rated > 0 AND person NOT LIKE 'list:%'"
    )
    statuses = ", ".join(f"count(*) FILTER (WHERE status = '{s}')" for s in STATUSES)
    op.execute(
        f"INSERT INTO person_totals (person, audience, {', '.join(STATUSES)}) "
        f"SELECT person, 'owner', {statuses} FROM audience_status GROUP BY person"
    )
    types = ", ".join(
        f"count(DISTINCT media_id) FILTER (WHERE media_type = '{t}')" for t in ("movie", "tv")
    )
    op.execute(
        "UPDATE person_totals AS p SET movie = v.movie, tv = v.tv FROM "
        f"(SELECT person, {types} FROM audience_status GROUP BY person) AS v(person, movie, tv) "
        "WHERE p.person = v.person"
    )
    histogram = ", ".join(f"count(*) FILTER (WHERE rating = {r})" for r in RATINGS)
    op.execute(
        "INSERT INTO person_totals AS p (person, audience, rating_count, rating_sum, "
        f"{', '.join(f'rating_{r}' for r in RATINGS)}) "
        f"SELECT person, 'owner', count(*), sum(rating), {histogram} FROM audience_rating "
        "GROUP BY person ON CONFLICT (person, audience) DO UPDATE SET "
        + ", ".join(
            f"{c} = excluded.{c}"
            for c in ("rating_count", "rating_sum", *(f"rating_{r}" for r in RATINGS))
        )
    )


def upgrade():
    _create_tables()
    _fill_owners()


def downgrade():
    for table in ("person_finished", "person_totals", "audience_rating", "audience_status"):
        op.drop_table(table)
